import { UserError } from '../errors.js';
import { FamilyReader } from './family.js';
import { DEFAULT_FOLD_LIMITS, FoldTracker, type FoldLimits, type FoldStats } from './fold.js';
import { Tokenizer } from './tokenize.js';
import { unifyNumbers } from './unify.js';
import { compileUserPatterns, type UserPattern } from './user.js';

/**
 * Key pattern inference: the family of a key, e.g. `session:{uuid}`, `user:{int}:profile`, `cache:temp:{hex}`.
 *
 * Steps for one key (see the modules for the exact rules):
 *  1. user patterns (--pattern), in order: the first that matches gives its own text as the family;
 *  2. the key as text: ASCII or valid UTF-8 is used as is. From the first control character (or, in a key
 *     that is not valid UTF-8, from its first non-ASCII byte) the rest of the key is `{binary}`, cut back to
 *     the separator before it (`idx:\x00\x01...` gives `idx:{binary}`); only the first 512 bytes are looked at,
 *     a longer key ends with `{trunc}` likewise; the empty key is `{empty}`;
 *  3. compound values (uuid, date, ip, e-mail, base64 with separators) are recognised, the rest is split on the
 *     separators and each segment classified (compound.ts, classify.ts);
 *  4. units (parts between primary separators, tokenize.ts) with many distinct literal values under the same
 *     prefix become {*} (fold.ts); families emitted before such a fold are renamed by foldings(), which also
 *     unifies {int} with {hex} or {ts} where they split otherwise equal families (unify.ts);
 *  5. a family longer than 256 characters is cut after a separator and ends with `{trunc}`.
 */
export interface PatternOptions {
  /** Separator characters, highest level first. Default ':/.|#-_'. */
  separators?: string;
  /** --pattern values: a glob (`user:*:cart`) or a /regex/; matched first, in order; a match yields the text. */
  userPatterns?: string[];
  /** Folding thresholds and memory bounds (fold.ts); defaults in DEFAULT_FOLD_LIMITS. */
  fold?: Partial<FoldLimits>;
}

export const DEFAULT_SEPARATORS = ':/.|#-_';
/** Bytes of a key that are looked at. */
export const MAX_SCAN = 512;
/** Characters of a family. */
export const MAX_FAMILY = 256;

export type { FoldLimits, FoldStats };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes [0, end) of an ASCII (or any, read as latin1) key as a string. */
function byteText(key: Uint8Array, end: number): string {
  if (end <= 0) return '';
  return String.fromCharCode.apply(null, key.subarray(0, end) as unknown as number[]);
}

function checkSeparators(seps: string): void {
  for (const ch of seps) {
    const c = ch.charCodeAt(0);
    if (c < 0x21 || c > 0x7e || /[A-Za-z0-9{}*]/.test(ch)) {
      throw new UserError(
        `separators: ${JSON.stringify(ch)} cannot be a separator (use printable ASCII punctuation other than { } *)`,
      );
    }
  }
}

export class PatternInferrer {
  private readonly seps: string;
  private readonly user: UserPattern[];
  private readonly tokenizer: Tokenizer;
  private readonly reader: FamilyReader;
  private readonly fold: FoldTracker;
  /** Keys of each distinct family emitted (see remember()). */
  private readonly families = new Map<string, number>();
  private readonly maxFamilies: number;
  private familiesDropped = 0;

  constructor(opts: PatternOptions = {}) {
    this.seps = opts.separators ?? DEFAULT_SEPARATORS;
    checkSeparators(this.seps);
    this.user = compileUserPatterns(opts.userPatterns ?? []);
    this.tokenizer = new Tokenizer(this.seps);
    this.reader = new FamilyReader(this.seps);
    const limits = { ...DEFAULT_FOLD_LIMITS, ...opts.fold };
    this.fold = new FoldTracker(limits, this.reader.isLiteral);
    this.maxFamilies = limits.maxFamilies;
  }

  /** The family of one key, e.g. 'session:{uuid}', 'user:{int}:profile', 'cache:temp:{hex}'. */
  infer(key: Uint8Array): string {
    if (this.user.length > 0) {
      const text = this.fullText(key);
      for (const u of this.user) if (u.re.test(text)) return u.text;
    }
    if (key.length === 0) return '{empty}';
    const end = Math.min(key.length, MAX_SCAN);
    let bad = -1;
    let high = false;
    for (let i = 0; i < end; i++) {
      const b = key[i];
      if (b < 0x20 || b === 0x7f) {
        bad = i;
        break;
      }
      if (b >= 0x80) high = true;
    }
    let stop = bad >= 0 ? bad : end;
    if (high) while (stop > 0 && stop < key.length && (key[stop] & 0xc0) === 0x80) stop--; // a character boundary
    let text: string;
    try {
      text = utf8.decode(stop === key.length ? key : key.subarray(0, stop));
    } catch {
      bad = key.findIndex((b) => b >= 0x80);
      text = byteText(key, bad);
    }
    const suffix = bad >= 0 ? '{binary}' : key.length > end ? '{trunc}' : '';
    if (suffix !== '') {
      // after the last separator before the cut, not counting a run of separators (`bin:|` + bytes: `bin:`)
      let cut = text.length - 1;
      while (cut >= 0 && !this.seps.includes(text[cut])) cut--;
      while (cut > 0 && this.seps.includes(text[cut - 1])) cut--;
      if (cut < 0) return suffix;
      text = text.slice(0, cut + 1);
    }
    const L = this.tokenizer.split(text);
    if (suffix !== '') {
      const last = L.n - 1;
      if (L.ends[last] === L.starts[last]) L.literal[last] = 0;
      L.family += suffix;
      L.ends[last] += suffix.length;
    }
    let family = this.fold.apply(L, true);
    if (family.length > MAX_FAMILY) family = this.cap(family, L.sep);
    this.remember(family);
    return family;
  }

  /** After all keys: renames that fold high-cardinality literal segments into {*}, as [from, to] pairs. */
  foldings(): Array<[string, string]> {
    const folded = new Map<string, string>();
    const keys = new Map<string, number>(); // keys of each folded family
    for (const [from, n] of this.families) {
      const L = this.reader.read(from);
      let to = this.fold.apply(L, false);
      if (to.length > MAX_FAMILY) to = this.cap(to, L.sep);
      folded.set(from, to);
      keys.set(to, (keys.get(to) ?? 0) + n);
    }
    const unified = unifyNumbers(keys);
    const out: Array<[string, string]> = [];
    for (const [from, f] of folded) {
      const to = unified.get(f) ?? f;
      if (to !== from) out.push([from, to]);
    }
    return out;
  }

  /** Size of the state kept between keys (for tests and --verbose output). */
  stats(): FoldStats & { families: number; familiesDropped: number } {
    return { ...this.fold.stats(), families: this.families.size, familiesDropped: this.familiesDropped };
  }

  /**
   * Remember each distinct family emitted, up to `maxFamilies`: foldings() renames only those (a family first
   * emitted after the cap keeps its name; familiesDropped counts such keys).
   */
  private remember(family: string): void {
    const n = this.families.get(family);
    if (n !== undefined) this.families.set(family, n + 1);
    else if (this.families.size < this.maxFamilies) this.families.set(family, 1);
    else this.familiesDropped++;
  }

  private cap(family: string, sep: string): string {
    const cut = sep === '' ? -1 : family.lastIndexOf(sep, MAX_FAMILY - 1);
    return (cut > 0 ? family.slice(0, cut + 1) : family.slice(0, MAX_FAMILY)) + '{trunc}';
  }

  private fullText(key: Uint8Array): string {
    try {
      return utf8.decode(key);
    } catch {
      return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
    }
  }
}
