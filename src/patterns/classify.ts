/**
 * Classification of one simple segment: the text between two separators, with no separator inside.
 * (Values that contain separators, such as UUIDs, dates, addresses and url-safe tokens, are recognised
 * before splitting: see compound.ts.)
 *
 * Rules, in order (a segment that matches none stays literal):
 *  1. all digits:
 *     - 8 digits YYYYMMDD, 12 digits YYYYMMDDHHMM, 14 digits YYYYMMDDHHMMSS with a year 1970..2099, a month
 *       01..12 and a day 01..31                                                   -> {date}
 *     - 10 digits in [946684800, 4102444800] (2000..2100 in seconds), 13 digits in the same range in ms,
 *       16 digits in the same range in microseconds                               -> {ts}
 *       (19 digits are NOT read as nanoseconds: snowflake ids look the same)
 *     - anything else                                                             -> {int}
 *  2. ULID: 26 characters of Crockford base32 in one case, first character 0..7, with a digit and a letter
 *                                                                                 -> {ulid}
 *  3. hex: 8+ characters of [0-9a-f] (or [0-9A-F]: one case only), with at least one digit AND one letter
 *     (so `deadbeef` and `12345678` are not hex)                                 -> {hex}
 *  4. token: 16+ characters of [A-Za-z0-9+=] that look random (see looksRandom)   -> {token}
 *  5. letters followed by 3+ digits (`order123`, `u4567`), the whole not a well-known technical word
 *     (`sha256`, `utf16`, `h264`...)                                             -> letters + {int}
 *     (so `v2`, `page2`, `p99`, `x86`, `h264` stay literal)
 * Short words, `api`, `v2`, `en`, `US` stay literal by construction: no rule matches them.
 */

export enum Kind {
  Literal = 0,
  Int,
  Hex,
  Uuid,
  Ulid,
  Token,
  Date,
  Ts,
  Email,
  Ip,
  /** letters + {int}: the caller keeps the letters (see mixedSplit). */
  Mixed,
}

/** Placeholder text of each kind (index = Kind). */
export const PLACEHOLDER: readonly string[] = [
  '', '{int}', '{hex}', '{uuid}', '{ulid}', '{token}', '{date}', '{ts}', '{email}', '{ip}', '{int}',
];

/** Words of the form letters+digits that are names, not ids. */
const TECH_WORDS = new Set([
  'sha224', 'sha256', 'sha384', 'sha512', 'utf16', 'utf32', 'base32', 'base58', 'base64', 'crc16', 'crc32',
  'crc64', 'win32', 'win64', 'http2', 'int16', 'int32', 'int64', 'float32', 'float64', 'uint16', 'uint32',
  'uint64', 'h264', 'h265', 'mp3', 'mp4', 'ipv4', 'ipv6', 'oauth2', 'x509', 'p256', 'p384', 'p521', 'ed25519',
  'argon2', 'bcrypt', 'pbkdf2', 'md5', 'sha1', 'utf8', 'ucs2', 'ucs4', 'ascii7', 'x86', 'x64', 'amd64', 'arm64',
]);

const TS_MIN_S = 946_684_800; // 2000-01-01
const TS_MAX_S = 4_102_444_800; // 2100-01-01

/** Character class of a code unit: 1 digit, 2 lower, 3 upper, 4 '+' or '=', 0 anything else. */
function cls(c: number): number {
  if (c >= 48 && c <= 57) return 1;
  if (c >= 97 && c <= 122) return 2;
  if (c >= 65 && c <= 90) return 3;
  if (c === 43 || c === 61) return 4;
  return 0;
}

function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

/** YYYYMMDD[HHMM[SS]] at s[a..b), b - a being 8, 12 or 14 digits. */
function compactDate(s: string, a: number, len: number): boolean {
  const y = digitsAt(s, a, 4);
  const m = digitsAt(s, a + 4, 2);
  const d = digitsAt(s, a + 6, 2);
  if (y < 1970 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  if (len === 8) return true;
  const hh = digitsAt(s, a + 8, 2);
  const mi = digitsAt(s, a + 10, 2);
  if (hh > 23 || mi > 59) return false;
  return len === 12 || digitsAt(s, a + 12, 2) <= 59;
}

function classifyDigits(s: string, a: number, len: number): Kind {
  if ((len === 8 || len === 12 || len === 14) && compactDate(s, a, len)) return Kind.Date;
  if (len === 10 || len === 13 || len === 16) {
    const v = Number(s.slice(a, a + len));
    const scale = len === 10 ? 1 : len === 13 ? 1e3 : 1e6;
    if (v >= TS_MIN_S * scale && v <= TS_MAX_S * scale) return Kind.Ts;
  }
  return Kind.Int;
}

/**
 * Whether an alphanumeric string looks random rather than like a name. Tuned so that random base62 and
 * [a-z0-9] strings of 16+ characters almost always pass while identifiers such as `UserProfileSettingsPage`,
 * `UserProfile2024Settings`, `getHTTPResponseCodeV2` or `section2024summary` fail:
 *  - mixed case: the mean length of the lowercase runs is below 3 (CamelCase words give runs of 3+, random
 *    base62 about 1.7), or the class changes (lower/upper/digit) are at least 40% of the pairs (random: ~60%,
 *    CamelCase: ~30%), or there are two runs of 4+ consonants;
 *  - one case with digits: the letter/digit changes are at least 20% of the length (random [a-z0-9]: ~40%,
 *    `user12345678profile`: 10%), or there are two runs of 4+ consonants (`bhykw`: random letters; words
 *    rarely have one) and the digits are not all in one run (`navyscarfmallory123` is words and a number);
 *  - one case without digits: never (a word).
 */
export function looksRandom(s: string, a: number, b: number): boolean {
  let lower = 0, upper = 0, digit = 0, lowerRuns = 0, changes = 0, prev = -1, consonants = 0, clusters = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    const k = cls(c);
    if (k === 0) return false;
    if (k === 1) digit++;
    else if (k === 2) {
      lower++;
      if (prev !== 2) lowerRuns++;
    } else if (k === 3) upper++;
    if (prev !== -1 && prev !== k) changes++;
    prev = k;
    if (k === 2 || k === 3) {
      const v = c | 0x20;
      if (v === 97 || v === 101 || v === 105 || v === 111 || v === 117) consonants = 0;
      else if (++consonants === 4) clusters++;
    } else consonants = 0;
  }
  if (lower > 0 && upper > 0) return lower < 3 * lowerRuns || changes * 5 >= (b - a - 1) * 2 || clusters >= 2;
  if (digit > 0 && lower + upper > 0) return changes * 5 >= b - a || (clusters >= 2 && changes >= 3);
  return false;
}

/** Classify s[a..b), which contains no separator. */
export function classify(s: string, a: number, b: number): Kind {
  const len = b - a;
  if (len === 0) return Kind.Literal;
  let digit = 0, lower = 0, upper = 0, hexLower = 0, hexUpper = 0, other = 0, firstDigit = -1;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digit++;
      if (firstDigit < 0) firstDigit = i;
    } else if (c >= 97 && c <= 122) {
      lower++;
      if (c <= 102) hexLower++;
    } else if (c >= 65 && c <= 90) {
      upper++;
      if (c <= 70) hexUpper++;
    } else other++;
  }
  if (digit === len) return classifyDigits(s, a, len);
  if (other > 0) {
    // Only base64 symbols ('+', '=', and '-', '_' when they are not separators) may be in a token.
    for (let i = a; i < b; i++) {
      const c = s.charCodeAt(i);
      if (cls(c) === 0 && c !== 45 && c !== 95) return Kind.Literal;
    }
    return len >= 16 && tokenLike(s, a, b) ? Kind.Token : Kind.Literal;
  }
  if (len === 26 && digit > 0 && (lower === 0 || upper === 0) && isUlid(s, a)) return Kind.Ulid;
  if (len >= 8 && digit > 0) {
    if (upper === 0 && lower > 0 && hexLower === lower) return Kind.Hex;
    if (lower === 0 && upper > 0 && hexUpper === upper) return Kind.Hex;
  }
  if (len >= 16 && looksRandom(s, a, b)) return Kind.Token;
  // letters then 3+ digits, e.g. order123, u4567
  if (firstDigit > a && b - firstDigit >= 3 && digit === b - firstDigit) {
    if (!TECH_WORDS.has(s.slice(a, b).toLowerCase())) return Kind.Mixed;
  }
  return Kind.Literal;
}

/** Crockford base32 (no I, L, O, U), first character 0..7. */
function isUlid(s: string, a: number): boolean {
  const f = s.charCodeAt(a);
  if (f < 48 || f > 55) return false;
  for (let i = a; i < a + 26; i++) {
    const c = s.charCodeAt(i) | 0x20; // fold to lower case (digits are unaffected)
    if (c === 105 || c === 108 || c === 111 || c === 117) return false;
  }
  return true;
}

/** For Kind.Mixed: index where the digits start. */
export function mixedSplit(s: string, a: number, b: number): number {
  let i = a;
  while (i < b) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) break;
    i++;
  }
  return i;
}

/**
 * Whether s[a, b), made of alphanumerics and '-', '_', '+', '=', is a base64-like token: the pieces between
 * the non-alphanumerics are not words (`cache`, `Product`, `CATALOG`), and the letters and digits, concatenated
 * (16 or more), look random.
 */
export function tokenLike(s: string, a: number, b: number): boolean {
  let alnum = '';
  let i = a;
  while (i < b) {
    let j = i;
    while (j < b && cls(s.charCodeAt(j)) >= 1 && cls(s.charCodeAt(j)) <= 3) j++;
    if (j > i) {
      if (isWord(s, i, j)) return false;
      alnum += s.slice(i, j);
    }
    i = j + 1;
  }
  return alnum.length >= 16 && looksRandom(alnum, 0, alnum.length);
}

/**
 * A word: 4+ letters only, pronounceable (no run of 5+ consonants, 3+ in capitals), and either not random in
 * case (mean lowercase run of 3+: `cache`, `Product`, `imagePath`) or all capitals (`CATALOG`, `FRONTEND`).
 */
function isWord(s: string, a: number, b: number): boolean {
  if (b - a < 4) return false;
  let lower = 0, lowerRuns = 0, prevLower = false, consonants = 0, maxConsonants = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    const isLower = c >= 97 && c <= 122;
    if (!isLower && !(c >= 65 && c <= 90)) return false;
    if (isLower) {
      lower++;
      if (!prevLower) lowerRuns++;
    }
    prevLower = isLower;
    const v = c | 0x20;
    if (v === 97 || v === 101 || v === 105 || v === 111 || v === 117) consonants = 0;
    else if (++consonants > maxConsonants) maxConsonants = consonants;
  }
  if (lower === 0) return maxConsonants < 3;
  return maxConsonants < 5 && lower >= 3 * lowerRuns;
}
