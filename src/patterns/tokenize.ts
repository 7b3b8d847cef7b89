import { Kind, PLACEHOLDER, classify, mixedSplit } from './classify.js';
import { CompoundMatcher } from './compound.js';

/**
 * A generalised key (variable segments replaced by placeholders) and its units: the parts between occurrences
 * of its primary separator.
 *
 * The primary separator is the first character of the configured separator list that occurs in the key outside
 * a compound value (so ':' in `rl:2001:db8::1` or `2024-01-02T10:00` does not count). Units are what folding
 * works on: `product:red-shoe:stock` has the units `product`, `red-shoe`, `stock`.
 *
 * '{' and '}' (cluster hash tags) end segments like separators and are kept as they are, but they are never a
 * primary separator: `{user:1000}:cart` gives `{user:{int}}:cart`.
 *
 * For speed the layout lives in reused typed arrays: it is valid until the next call that fills it.
 */
const BRACE_OPEN = 123;
const BRACE_CLOSE = 125;
/** Enough for a 512-character text (at most 513 pieces) and for a family of 263 characters. */
const MAX_PIECES = 1100;

export class Layout {
  /** The generalised key. */
  family = '';
  /** Number of units. */
  n = 0;
  /** Unit i is family[starts[i], ends[i]). */
  starts = new Int32Array(MAX_PIECES);
  ends = new Int32Array(MAX_PIECES);
  /** 1 when unit i holds literal text (a candidate for folding into {*}). */
  literal = new Uint8Array(MAX_PIECES);
  /** The primary separator, '' when the key has none. */
  sep = '';
}


/** Token-run characters that are not alphanumeric (see compound.ts): '-', '_', '+', '='. NaN gives false. */
function isTokenSep(c: number): boolean {
  return c === 45 || c === 95 || c === 43 || c === 61;
}

export class Tokenizer {
  /** 1 for each code (< 128) that ends a segment. */
  private readonly delim = new Uint8Array(128);
  /** Rank (1 = highest) of each separator code, 0 for others. */
  private readonly rank = new Uint8Array(128);
  private readonly compound: CompoundMatcher;
  // scratch, per piece i: whether it is literal; per separator i (between pieces i and i+1): code, output offset
  private readonly pieceLit = new Uint8Array(MAX_PIECES);
  private readonly sepCode = new Uint8Array(MAX_PIECES);
  private readonly sepAt = new Int32Array(MAX_PIECES);
  readonly layout = new Layout();

  constructor(private readonly separators: string) {
    for (let i = 0; i < separators.length; i++) {
      const c = separators.charCodeAt(i);
      this.delim[c] = 1;
      if (this.rank[c] === 0) this.rank[c] = i + 1;
    }
    this.delim[BRACE_OPEN] = 1;
    this.delim[BRACE_CLOSE] = 1;
    this.compound = new CompoundMatcher(this.delim);
  }

  /** Generalise s (at most 512 characters) into this.layout. */
  split(s: string): Layout {
    const n = s.length;
    let out = '';
    let copied = 0; // s[copied, p) is still to be copied verbatim into out
    let outLen = 0;
    let pieces = 0;
    let primaryRank = 256;
    // an IPv6 address needs '::' or 7 colons
    let colons = 0;
    for (let i = s.indexOf(':'); i >= 0 && colons < 7; i = s.indexOf(':', i + 1)) colons++;
    const ipv6 = colons === 7 || (colons >= 2 && s.includes('::'));
    let at = s.indexOf('@');
    let noTokenBefore = 0;
    let p = 0;
    for (;;) {
      if (at >= 0 && at < p) at = s.indexOf('@', p);
      let kind = Kind.Literal;
      let q = this.compound.match(s, p, at, ipv6);
      if (q >= 0) kind = this.compound.kind;
      else {
        let e = p;
        while (e < n) {
          const c = s.charCodeAt(e);
          if (c < 128 && this.delim[c] === 1) break;
          e++;
        }
        // a token run needs a token character that is a separator ('-', '_') at its start or after this segment
        if (p >= noTokenBefore && (isTokenSep(s.charCodeAt(e)) || isTokenSep(s.charCodeAt(p)))) {
          q = this.compound.tokenRun(s, p);
          if (q >= 0) kind = Kind.Token;
          else noTokenBefore = -q - 1;
        }
        if (q < 0) {
          q = e;
          kind = classify(s, p, e);
        }
      }
      if (kind === Kind.Literal) {
        outLen += q - p;
        this.pieceLit[pieces] = q > p ? 1 : 0;
      } else if (kind === Kind.Mixed) {
        const d = mixedSplit(s, p, q);
        out += s.slice(copied, d) + '{int}';
        copied = q;
        outLen += d - p + 5;
        this.pieceLit[pieces] = 1;
      } else {
        const ph = PLACEHOLDER[kind];
        out += s.slice(copied, p) + ph;
        copied = q;
        outLen += ph.length;
        this.pieceLit[pieces] = 0;
      }
      if (q >= n) break;
      const c = s.charCodeAt(q);
      this.sepCode[pieces] = c;
      this.sepAt[pieces] = outLen;
      pieces++;
      outLen++;
      const r = this.rank[c];
      if (r !== 0 && r < primaryRank) primaryRank = r;
      p = q + 1;
    }
    out = copied === 0 ? s : out + s.slice(copied);
    return this.group(out, pieces, primaryRank);
  }

  /** Units from the pieces: `seps` separators, the primary one of rank primaryRank (256 = none). */
  private group(family: string, seps: number, primaryRank: number): Layout {
    const L = this.layout;
    L.family = family;
    const sepCode = primaryRank === 256 ? -1 : this.separators.charCodeAt(primaryRank - 1);
    L.sep = sepCode < 0 ? '' : this.separators[primaryRank - 1];
    let u = 0;
    let lit = this.pieceLit[0];
    L.starts[0] = 0;
    for (let i = 0; i < seps; i++) {
      if (this.sepCode[i] === sepCode) {
        L.ends[u] = this.sepAt[i];
        L.literal[u] = lit;
        u++;
        L.starts[u] = this.sepAt[i] + 1;
        lit = 0;
      }
      lit |= this.pieceLit[i + 1];
    }
    L.ends[u] = family.length;
    L.literal[u] = lit;
    L.n = u + 1;
    return L;
  }
}
