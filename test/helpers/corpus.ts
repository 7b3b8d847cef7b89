/**
 * The shared real-RDB corpus (`../shared/corpus` relative to the repository root), read in place, and its
 * MANIFEST.tsv. Tests call `corpusSkip()` to get `{ skip: 'corpus absent' }` when it is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { Collected } from './collect.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_DIR = resolve(REPO_ROOT, '..', 'shared', 'corpus');

export function corpusPresent(): boolean {
  return existsSync(join(CORPUS_DIR, 'MANIFEST.tsv'));
}

/** Options for node:test: skipped (with a reason) when the corpus is absent. */
export function corpusSkip(): { skip?: string } {
  return corpusPresent() ? {} : { skip: 'corpus absent' };
}

export interface ManifestRow {
  readonly relpath: string;
  /** Absolute path of the file. */
  readonly path: string;
  readonly bytes: number;
  readonly version: number;
  readonly magic: string;
  readonly provenance: string;
  readonly keys: number;
  readonly dbs: string;
  readonly types: string;
  readonly opcodes: string;
  readonly modules: string;
  readonly crc64: string;
  readonly structureWalk: string;
  readonly checkRdb70: string;
  readonly dataOracles: string[];
}

let cached: ManifestRow[] | null = null;

export function manifest(): ManifestRow[] {
  if (cached) return cached;
  const lines = readFileSync(join(CORPUS_DIR, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0]!.split('\t');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`MANIFEST.tsv has no column ${name}`);
    return i;
  };
  const c = {
    relpath: col('relpath'), bytes: col('bytes'), version: col('rdb_version'), magic: col('magic'),
    prov: col('provenance_class'), keys: col('keys'), dbs: col('dbs'), types: col('types_detected'),
    opcodes: col('opcodes_detected'), modules: col('modules'), crc: col('crc64'), walk: col('structure_walk'),
    check: col('redis_check_rdb_7.0'), oracles: col('data_oracles'),
  };
  cached = lines.slice(1).map((line) => {
    const f = line.split('\t');
    const get = (i: number): string => f[i] ?? '';
    return {
      relpath: get(c.relpath),
      path: join(CORPUS_DIR, get(c.relpath)),
      bytes: Number(get(c.bytes)),
      version: Number(get(c.version)),
      magic: get(c.magic),
      provenance: get(c.prov),
      keys: Number(get(c.keys)),
      dbs: get(c.dbs),
      types: get(c.types),
      opcodes: get(c.opcodes),
      modules: get(c.modules),
      crc64: get(c.crc),
      structureWalk: get(c.walk),
      checkRdb70: get(c.check),
      dataOracles: get(c.oracles).split(' ').filter((s) => s.length > 0).map((s) => s.replace(/^files\//, '')),
    };
  });
  return cached;
}

export function corpusFile(relpath: string): string {
  return join(CORPUS_DIR, relpath);
}

/** Whether the manifest row describes a file some real writer produced as a valid dump. */
export function isWellFormed(row: ManifestRow): boolean {
  return /^(server-written|tool-written|probably tool-written)/.test(row.provenance);
}

/* ---------- oracle comparison: other tools' (or the server's) view against ours ---------- */

/** How an oracle renders bytes as text: `latin1` is lossless (RESP, server), `utf8` is lossy (JSON dumpers). */
export type TextEnc = 'utf8' | 'latin1';

/**
 * One key as an oracle states it. `value` is loosely typed and coerced with our key's type: a string; an array
 * (list, or set in any order); an object or [field, value] pairs (hash); {member: score} or [member, score] pairs
 * (zset, scores as numbers or as text like "inf"); for streams [id, [field, value, ...]] entries.
 * Aspects left undefined are not compared.
 */
export interface OracleKey {
  db: number;
  key: string;
  type?: string;
  value?: unknown;
  expireMs?: number | null;
  /** Hash fields that have a TTL: field -> absolute ms. Fields not listed have none. */
  fieldExp?: Record<string, number>;
}

export function parseScore(s: unknown): number {
  if (typeof s === 'number') return s;
  const t = String(s).toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

const plusZero = (x: number): number => (x === 0 ? 0 : x);
const byFirst = (a: [string, unknown], b: [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const pairs = (raw: unknown): Array<[string, unknown]> =>
  Array.isArray(raw) ? (raw as Array<[string, unknown]>) : Object.entries(raw as Record<string, unknown>);

/** Puts a value in a comparable shape for a type (sets and hashes sorted, scores as numbers). */
export function canonical(type: string, raw: unknown): unknown {
  switch (type) {
    case 'string': return raw;
    case 'list': return raw;
    case 'set': return [...(raw as string[])].sort();
    case 'hash': return pairs(raw).map(([f, v]): [string, unknown] => [f, String(v)]).sort(byFirst);
    // -0 and 0 are one score to text oracles (librdb prints "0" for a stored "-0").
    case 'zset': return pairs(raw).map(([m, s]): [string, unknown] => [m, plusZero(parseScore(s))]).sort(byFirst);
    case 'stream': return (raw as Array<[string, string[]]>).map(([id, f]) => [id, [...f]]);
    default: return null;
  }
}

export interface OursKey {
  readonly type: string;
  readonly value: unknown;
  readonly expireMs: number | null;
  readonly fieldExp: Record<string, number>;
  readonly length: number;
}

/** Our decoded keys in oracle shape, by `db/key` (by `0/key` when `withDb` is false). */
export function ourKeys(result: Collected, enc: TextEnc, withDb = true): Map<string, OursKey> {
  const t = (b: Buffer): string => b.toString(enc);
  const out = new Map<string, OursKey>();
  const seen = new Map<string, number>();
  for (const k of result.keys) {
    const r = k.record;
    let raw: unknown = null;
    if (r.type === 'string') raw = k.str === null ? null : t(k.str);
    else if (r.type === 'list') raw = k.list.map(t);
    else if (r.type === 'set') raw = k.set.map(t);
    else if (r.type === 'zset') raw = k.zset.map(([m, s]) => [t(m), s]);
    else if (r.type === 'hash') raw = k.hash.map(([f, v]) => [t(f), t(v)]);
    else if (r.type === 'stream') raw = (k.stream?.entries ?? []).map((e) => [e.id, e.fields.map(t)]);
    const fieldExp: Record<string, number> = {};
    for (const [f, , e] of k.hash) if (e !== null) fieldExp[t(f)] = e;
    const base = `${withDb ? r.db : 0}/${t(Buffer.from(r.key))}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.set(n === 0 ? base : `${base}#${n}`, {
      type: r.type, value: canonical(r.type, raw), expireMs: r.expiresAtMs, fieldExp, length: r.length,
    });
  }
  return out;
}

/** Differences between our keys and an oracle's, as readable lines (empty when they agree). */
export function oracleDiff(ours: Map<string, OursKey>, oracle: OracleKey[], exact = true): string[] {
  const diffs: string[] = [];
  const seen = new Set<string>();
  const show = (v: unknown): string => {
    const s = JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
    return s === undefined ? 'undefined' : s.length > 300 ? `${s.slice(0, 300)}...` : s;
  };
  const count = new Map<string, number>();
  for (const o of oracle) {
    // A key that occurs twice in one db (tool-written files) is matched occurrence by occurrence, in file order.
    const base = `${o.db}/${o.key}`;
    const n = count.get(base) ?? 0;
    count.set(base, n + 1);
    const id = n === 0 ? base : `${base}#${n}`;
    seen.add(id);
    const k = ours.get(id);
    if (!k) { diffs.push(`${show(id)}: missing from our decode`); continue; }
    if (o.type !== undefined && o.type !== k.type) diffs.push(`${show(id)}: type ${k.type}, oracle ${o.type}`);
    if (o.value !== undefined && k.type !== 'module') {
      let want: unknown = o.value;
      try {
        want = canonical(k.type, o.value);
        assert.deepStrictEqual(k.value, want);
      } catch {
        diffs.push(`${show(id)}: value ${show(k.value)}, oracle ${show(want)}`);
      }
    }
    if (o.expireMs !== undefined && o.expireMs !== k.expireMs) {
      diffs.push(`${show(id)}: expiry ${k.expireMs}, oracle ${o.expireMs}`);
    }
    if (o.fieldExp !== undefined) {
      try {
        assert.deepStrictEqual(k.fieldExp, o.fieldExp);
      } catch {
        diffs.push(`${show(id)}: field expiries ${show(k.fieldExp)}, oracle ${show(o.fieldExp)}`);
      }
    }
  }
  if (exact) for (const id of ours.keys()) if (!seen.has(id)) diffs.push(`${show(id)}: decoded, not in the oracle`);
  return diffs;
}
