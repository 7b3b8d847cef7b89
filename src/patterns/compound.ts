import { Kind, tokenLike } from './classify.js';

/**
 * Values that contain separator characters and must be recognised before the key is split:
 *  - UUID 8-4-4-4-12 hex                                         -> {uuid}
 *  - ISO date YYYY-MM-DD (also / or . between the parts), optionally followed by THH:MM[:SS[.frac]][Z|+hh:mm],
 *    and YYYY-MM (a month bucket); year 1900..2099                 -> {date}
 *  - IPv4 a.b.c.d with octets <= 255                             -> {ip}
 *  - IPv6: 8 groups, or a '::' form with a digit and 2+ groups (`::1` too); `Foo::Bar` never matches since
 *    it is not hex                                                  -> {ip}
 *  - e-mail local@domain.tld                                     -> {email}
 *  - a url-safe base64 token with '-' or '_' inside: a run of [A-Za-z0-9+=_-] of 16+ characters
 *    whose pieces are not words and whose letters and digits look random (classify.ts looksRandom) -> {token}
 * Each must start at a segment start and end at the end of the key or just before a separator; a match that
 * would end inside a segment is rejected (the regular expressions backtrack to a shorter match if one fits).
 */

const HEX = '[0-9a-fA-F]';
const G = `${HEX}{1,4}`;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
/**
 * The token-run alphabet: url-safe base64 and the '+' and '=' of standard base64. Not '/': it is far more often
 * a path separator than part of a token.
 */
function isTokenChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 95 || c === 43 || c === 61;
}

export class CompoundMatcher {
  /** Kind of the last successful match(). */
  kind: Kind = Kind.Literal;
  private readonly date: RegExp;
  private readonly ipv4: RegExp;
  private readonly ipv6: RegExp;
  private readonly email: RegExp;

  /** isSep: a 128-entry table, 1 for each code that ends a segment (the separators and the braces). */
  constructor(private readonly isSep: Uint8Array) {
    const chars: string[] = [];
    for (let c = 0; c < 128; c++) if (isSep[c]) chars.push('\\x' + c.toString(16).padStart(2, '0'));
    const end = chars.length ? `(?=$|[${chars.join('')}])` : '(?=$)';
    this.date = new RegExp(
      '(?:19|20)\\d\\d([-/.])(?:0[1-9]|1[0-2])(?:\\1(?:0[1-9]|[12]\\d|3[01])' +
        '(?:[T ](?:[01]\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d(?:[.,]\\d{1,9})?)?(?:Z|[+-]\\d\\d(?::?\\d\\d)?)?)?)?' + end,
      'y',
    );
    this.ipv4 = new RegExp(`(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)${end}`, 'y');
    this.ipv6 = new RegExp(`(?:${G}(?::${G}){7}|(?:${G}(?::${G}){0,6})?::(?:${G}(?::${G}){0,6})?)${end}`, 'y');
    this.email = new RegExp(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}${end}`, 'y');
  }

  private exec(re: RegExp, s: string, p: number): number {
    re.lastIndex = p;
    return re.test(s) ? re.lastIndex : -1;
  }

  /**
   * Try the compound forms (except token runs, see tokenRun) at p. `atFrom` is the index of the next '@' at or
   * after p (or -1), `ipv6` whether the key may hold an IPv6 address ('::' or 7 colons). Returns the end of the
   * match (its kind in `this.kind`), or -1.
   */
  match(s: string, p: number, atFrom: number, ipv6: boolean): number {
    const n = s.length;
    const c = p < n ? s.charCodeAt(p) : -1;
    if (c < 0) return -1;
    let e: number;
    if (isHex(c)) {
      if (p + 36 <= n && s.charCodeAt(p + 8) === 45 && this.isUuid(s, p)) return this.found(Kind.Uuid, p + 36);
      if (isDigit(c)) {
        const c4 = s.charCodeAt(p + 4);
        if ((c === 49 || c === 50) && (c4 === 45 || c4 === 47 || c4 === 46) && (e = this.exec(this.date, s, p)) > 0)
          return this.found(Kind.Date, e);
        if ((s.charCodeAt(p + 1) === 46 || s.charCodeAt(p + 2) === 46 || s.charCodeAt(p + 3) === 46) &&
          (e = this.exec(this.ipv4, s, p)) > 0)
          return this.found(Kind.Ip, e);
      }
    }
    if (ipv6 && (c === 58 || isHex(c)) && (e = this.ipv6At(s, p)) > 0) return this.found(Kind.Ip, e);
    if (atFrom > p && (e = this.exec(this.email, s, p)) > 0) return this.found(Kind.Email, e);
    return -1;
  }

  /** 8-4-4-4-12 hex digits at p, then the end or a separator. */
  private isUuid(s: string, p: number): boolean {
    for (let i = 0; i < 36; i++) {
      const c = s.charCodeAt(p + i);
      if (i === 8 || i === 13 || i === 18 || i === 23 ? c !== 45 : !isHex(c)) return false;
    }
    const next = s.charCodeAt(p + 36); // NaN at the end
    return next !== next || (next < 128 && this.isSep[next] === 1);
  }

  private found(kind: Kind, end: number): number {
    this.kind = kind;
    return end;
  }

  private ipv6At(s: string, p: number): number {
    // cheap gate: a ':' within the first 5 characters
    let colonNear = false;
    for (let i = p; i < p + 5 && i < s.length; i++) if (s.charCodeAt(i) === 58) colonNear = true;
    if (!colonNear) return -1;
    const e = this.exec(this.ipv6, s, p);
    if (e < 0) return -1;
    const text = s.slice(p, e);
    const groups = text.split(':').filter((g) => g.length > 0).length;
    if (groups === 8) return e;
    if (!/\d/.test(text) || (groups < 2 && text !== '::1')) return -1;
    return e;
  }

  /**
   * A token run starting at p (an alphanumeric, or a '-' or '_' that starts the token): returns its end if
   * s[p..end) is a base64-like token containing at least one separator, else -(end of the run) - 1 so that the
   * caller does not try again inside the same run.
   */
  tokenRun(s: string, p: number): number {
    const n = s.length;
    let r = p;
    let hasSep = false;
    while (r < n) {
      const c = s.charCodeAt(r);
      if (!isTokenChar(c)) break;
      if (c < 128 && this.isSep[c]) hasSep = true;
      r++;
    }
    const boundary = r === n || (s.charCodeAt(r) < 128 && this.isSep[s.charCodeAt(r)] === 1);
    if (!hasSep || r - p < 16 || !boundary) return -r - 1;
    return tokenLike(s, p, r) ? r : -r - 1;
  }
}
