/**
 * Value signals the inventory keeps without keeping values: whether a string holds JSON, and which field names
 * the hashes of a key family share. Both are bounded whatever the dump's size.
 */
import type { Scalar } from '../decode/model.js';
import type { HashFieldRow } from './batch.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether a value (or the first bytes of one) is JSON: an object or array that parses, or, for a prefix cut
 * inside the value, one that starts like an object with a quoted key or an array of objects, strings or numbers.
 */
export function looksLikeJson(sample: Uint8Array, whole = sample.length < 4096): boolean {
  let i = 0;
  while (i < sample.length && (sample[i] === 0x20 || sample[i] === 0x0a || sample[i] === 0x0d || sample[i] === 0x09)) i++;
  const first = sample[i];
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return false;
  if (whole) {
    // A whole value that does not end with the bracket it opens is not JSON: said without JSON.parse, whose
    // exception costs microseconds (on a dump of truncated JSON-like session strings, a third of the decoding time).
    let j = sample.length - 1;
    while (j > i && (sample[j] === 0x20 || sample[j] === 0x0a || sample[j] === 0x0d || sample[j] === 0x09)) j--;
    if (j <= i || sample[j] !== (first === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) return false;
  }
  const text = Buffer.from(sample.buffer, sample.byteOffset, sample.length).toString('utf8');
  if (whole) {
    try {
      const v: unknown = JSON.parse(text);
      return typeof v === 'object' && v !== null;
    } catch {
      return false;
    }
  }
  return /^\s*(\{\s*"|\[\s*[{"\d-])/.test(text);
}

/** Hashes with more fields than this look like data (not an object with a schema): their names are not counted. */
const MAX_FIELDS_PER_HASH = 128;
/** Distinct field names counted per family, and families tracked: the bounds of this table. */
const MAX_NAMES_PER_FAMILY = 256;
const MAX_FAMILIES = 2000;

interface Family {
  hashes: number;
  names: Map<string, { field: Uint8Array; hashes: number }>;
}

export class FieldNames {
  /** The current hash's field names, as latin1 strings (one character per byte: exact and cheap to hash). */
  private current: string[] = [];
  private overflow = false;
  private readonly families = new Map<string, Family>();

  beginKey(): void {
    this.current = [];
    this.overflow = false;
  }

  add(field: Scalar): void {
    if (this.overflow) return;
    if (this.current.length >= MAX_FIELDS_PER_HASH) {
      this.overflow = true;
      this.current = [];
      return;
    }
    this.current.push(typeof field === 'object' ? Buffer.from(field.buffer, field.byteOffset, field.length).toString('latin1') : String(field));
  }

  endHash(pattern: string): void {
    if (this.overflow || this.current.length === 0) return;
    let fam = this.families.get(pattern);
    if (!fam) {
      if (this.families.size >= MAX_FAMILIES) return;
      fam = { hashes: 0, names: new Map() };
      this.families.set(pattern, fam);
    }
    fam.hashes++;
    for (const id of this.current) {
      const e = fam.names.get(id);
      if (e) e.hashes++;
      else if (fam.names.size < MAX_NAMES_PER_FAMILY) fam.names.set(id, { field: Buffer.from(id, 'latin1'), hashes: 1 });
    }
    this.current = [];
  }

  /** One row per (family, field name), families renamed by the pattern folds and merged. */
  rows(folds: ReadonlyArray<readonly [string, string]>): HashFieldRow[] {
    const rename = new Map(folds);
    const merged = new Map<string, Family>();
    for (const [pattern, fam] of this.families) {
      const to = rename.get(pattern) ?? pattern;
      const m = merged.get(to);
      if (!m) {
        merged.set(to, { hashes: fam.hashes, names: new Map(fam.names) });
        continue;
      }
      m.hashes += fam.hashes;
      for (const [id, e] of fam.names) {
        const x = m.names.get(id);
        if (x) m.names.set(id, { field: x.field, hashes: x.hashes + e.hashes });
        else if (m.names.size < MAX_NAMES_PER_FAMILY) m.names.set(id, e);
      }
    }
    const out: HashFieldRow[] = [];
    for (const [pattern, fam] of merged) {
      for (const e of fam.names.values()) out.push({ pattern, field: e.field, hashes: e.hashes, familyHashes: fam.hashes });
    }
    return out;
  }
}
