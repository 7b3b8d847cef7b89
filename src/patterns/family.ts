import { Layout } from './tokenize.js';

/** Every placeholder a family may contain. */
export const PLACEHOLDERS = [
  '{int}', '{hex}', '{uuid}', '{ulid}', '{token}', '{date}', '{ts}', '{email}', '{ip}', '{binary}', '{trunc}',
  '{empty}', '{*}',
];
const PLACEHOLDER_RE = new RegExp(PLACEHOLDERS.map((p) => p.replace(/[{}*]/g, '\\$&')).join('|'), 'g');

/**
 * Family strings are re-read when renames are computed (foldings()), so that only the family text needs to
 * be remembered. Placeholders never contain a separator (separators are checked in index.ts), so the units of a
 * family are found again by splitting on its first configured separator.
 */
export class FamilyReader {
  constructor(private readonly separators: string) {}

  /** Whether a unit holds literal text: something left once placeholders, separators and braces are removed. */
  isLiteral = (unit: string): boolean => {
    const rest = unit.includes('{') ? unit.replace(PLACEHOLDER_RE, '') : unit;
    for (let i = 0; i < rest.length; i++) {
      const ch = rest[i];
      if (ch !== '{' && ch !== '}' && !this.separators.includes(ch)) return true;
    }
    return false;
  };

  private readonly layout = new Layout();

  /** The layout of a family string (valid until the next call). */
  read(family: string): Layout {
    const L = this.layout;
    L.family = family;
    L.sep = '';
    for (const ch of this.separators) {
      if (family.includes(ch)) {
        L.sep = ch;
        break;
      }
    }
    let start = 0;
    let u = 0;
    for (;;) {
      const e = L.sep === '' ? -1 : family.indexOf(L.sep, start);
      const end = e < 0 ? family.length : e;
      L.starts[u] = start;
      L.ends[u] = end;
      L.literal[u] = this.isLiteral(family.slice(start, end)) ? 1 : 0;
      u++;
      if (e < 0 || u >= L.starts.length) break;
      start = e + 1;
    }
    L.n = u;
    return L;
  }
}
