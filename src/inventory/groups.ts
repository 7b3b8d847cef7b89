/**
 * Summaries of a snapshot computed while it is indexed, so that `report` and the built-in rules read a few
 * thousand rows instead of every key:
 *
 * - `key_groups`: the snapshot's keys grouped by db, type, encoding, family and a few classes (TTL, memory and
 *   length buckets, cold, JSON, short string), with the sums, minimums and maximums the report and the rules
 *   need. Every figure taken from it equals the same figure computed over `keys` (tested on real dumps against
 *   GROUP_SQL, the same definition in SQL, which also summarizes snapshots of inventories made before it).
 * - `top_keys`: the TOP_KEYS largest keys by memory (ties by key bytes), for the report's top list.
 *
 * The class definitions exist twice, here in JS (index time) and in GROUP_SQL (backfill); the test holds them
 * equal.
 */
import type { KeyRow } from './batch.js';

/** Keys kept in top_keys per snapshot (`report --top` up to this reads them; beyond, it scans the snapshot). */
export const TOP_KEYS = 1000;

export const MEMORY_EDGES = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304] as const;
export const LENGTH_EDGES = [8, 64, 128, 512, 1000, 5000, 10000, 100000, 1000000] as const;
/** Idle time from which a key without TTL counts as cold (30 days). */
export const COLD_IDLE_S = 2592000;
/** Strings of at most this many bytes count as short (candidates for hash packing). */
export const SHORT_STRING = 64;

/** 0 no expiry, 1 expired at dump time, 2 < 1 h, 3 1-24 h, 4 1-7 d, 5 > 7 d, 6 has a TTL but the dump has no ctime. */
export function ttlClass(expiresAt: number | null, nowMs: number | null): number {
  if (expiresAt === null) return 0;
  if (nowMs === null) return 6;
  if (expiresAt <= nowMs) return 1;
  const left = expiresAt - nowMs;
  return left < 3600000 ? 2 : left < 86400000 ? 3 : left < 604800000 ? 4 : 5;
}

function bucket(v: number, edges: readonly number[]): number {
  for (let i = 0; i < edges.length; i++) if (v < edges[i]!) return i;
  return edges.length;
}

export const memoryClass = (memory: number): number => bucket(memory, MEMORY_EDGES);

/** Element-count bucket of a collection (null for strings, module values and empty values). */
export function lengthClass(type: string, length: number): number | null {
  return type !== 'string' && type !== 'module' && length > 0 ? bucket(length, LENGTH_EDGES) : null;
}

const cases = (col: string, edges: readonly number[]): string =>
  `CASE ${edges.map((e, i) => `WHEN ${col} < ${e} THEN ${i}`).join(' ')} ELSE ${edges.length} END`;

/**
 * The same summary in SQL, for one snapshot (`@s`) of `keys`: used for snapshots indexed before summaries
 * existed, and by the tests as the reference the index-time summary must equal.
 */
/**
 * The group columns of a keys row aliased `k` (ttl_class, memory_class, length_class, cold, json, short_string, in
 * that order, named tc, mc, lc, cold, json, short), `s` being its snapshots row.
 */
export const GROUP_CLASSES_SQL = `
  CASE WHEN k.expires_at IS NULL THEN 0 WHEN s.ctime IS NULL THEN 6 WHEN k.expires_at <= s.ctime * 1000 THEN 1
       WHEN k.expires_at - s.ctime * 1000 < 3600000 THEN 2 WHEN k.expires_at - s.ctime * 1000 < 86400000 THEN 3
       WHEN k.expires_at - s.ctime * 1000 < 604800000 THEN 4 ELSE 5 END AS tc,
  ${cases('k.memory', MEMORY_EDGES)} AS mc,
  CASE WHEN k.type NOT IN ('string', 'module') AND k.length > 0 THEN ${cases('k.length', LENGTH_EDGES)} END AS lc,
  (k.idle_s >= ${COLD_IDLE_S} OR (k.idle_s IS NULL AND k.freq = 0)) IS 1 AS cold,
  k.value_format IS 'json' AS json,
  (k.type = 'string' AND k.length <= ${SHORT_STRING}) AS short`;

export const GROUP_SQL = `
INSERT INTO key_groups (snapshot_id, db, type, encoding, pattern, ttl_class, memory_class, length_class, cold, json,
  short_string, keys, memory, rdb_bytes, key_bytes, length_sum, memory_max, length_max, key_min, first_row,
  idle_min, idle_max, idle_keys, freq_keys, expires_min, expires_max, as_hash_savings)
SELECT k.snapshot_id, k.db, k.type, k.encoding, k.pattern,${GROUP_CLASSES_SQL},
  COUNT(*), SUM(k.memory), SUM(k.rdb_bytes), SUM(length(k.key)), SUM(k.length), MAX(k.memory), MAX(k.length),
  MIN(k.key), MIN(k.rowid), MIN(k.idle_s), MAX(k.idle_s), COUNT(k.idle_s), COUNT(k.freq), MIN(k.expires_at), MAX(k.expires_at),
  SUM(CASE WHEN k.type = 'string' THEN MAX(0, k.memory - ((length(k.key) + k.length + 8) * 1.25 + 2)) ELSE 0 END)
FROM keys k JOIN snapshots s ON s.id = k.snapshot_id
WHERE k.snapshot_id = @s
GROUP BY k.db, k.type, k.encoding, k.pattern, tc, mc, lc, cold, json, short`;

/** top_keys of one snapshot in SQL (same order as the index-time list). */
export const TOP_SQL = `
INSERT INTO top_keys (snapshot_id, rank, db, key, memory, row)
SELECT snapshot_id, ROW_NUMBER() OVER (ORDER BY memory DESC, key, db, row), db, key, memory, row
FROM (SELECT snapshot_id, db, key, memory, rowid AS row FROM keys NOT INDEXED WHERE snapshot_id = @s
      ORDER BY memory DESC, key, db LIMIT ${TOP_KEYS})`;

interface Group {
  db: number;
  type: string;
  encoding: string;
  pattern: string | null;
  ttl: number;
  mem: number;
  len: number | null;
  cold: number;
  json: number;
  short: number;
  keys: number;
  memory: number;
  rdbBytes: number;
  keyBytes: number;
  lengthSum: number;
  memoryMax: number;
  lengthMax: number;
  keyMin: Buffer;
  firstRow: number;
  idleMin: number | null;
  idleMax: number | null;
  idleKeys: number;
  freqKeys: number;
  expiresMin: number | null;
  expiresMax: number | null;
  asHashSavings: number;
  /** db, classes and type/encoding packed (see add): with the family, the group's identity. */
  code: number | string;
}

/** One entry of the top list: enough to order it (the report reads the rest from keys). */
export interface TopEntry {
  db: number;
  key: Buffer;
  memory: number;
  /** Its rowid in keys. */
  row: number;
}

const minN = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxN = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** Whether a ranks before b in the top list: more memory first, then smaller key bytes (SQLite's BLOB order), then db. */
function before(a: TopEntry, b: TopEntry): boolean {
  if (a.memory !== b.memory) return a.memory > b.memory;
  const c = Buffer.compare(a.key, b.key);
  return c < 0 || (c === 0 && a.db < b.db);
}

/** Accumulates one snapshot's key_groups and top_keys from its rows, as the writer inserts them. */
export class SnapshotSummary {
  /** Family -> db, classes and type/encoding packed in a number -> group; keys without a family apart. */
  private readonly groups = new Map<string, Map<number | string, Group>>();
  private readonly unpatterned = new Map<number | string, Group>();
  private readonly typeCodes = new Map<string, Map<string, number>>();
  private typeCount = 0;
  private readonly top: TopEntry[] = [];
  /** `nowMs`: the dump's ctime in ms (null: none), which the TTL classes are relative to. */
  constructor(readonly nowMs: number | null) {}

  /** Adds a row whose rowid in `keys` is `rowid` (key is a view into the batch: copied when kept). */
  add(r: KeyRow, rowid: number): void {
    const [db, key, , type, encoding, length, memory, rdbBytes, expiresAt, idleS, freq] = r;
    const pattern = r[15];
    const ttl = ttlClass(expiresAt, this.nowMs);
    const mem = memoryClass(memory);
    const len = lengthClass(type, length);
    const cold = (idleS !== null && idleS >= COLD_IDLE_S) || (idleS === null && freq === 0) ? 1 : 0;
    const json = r[18] === 'json' ? 1 : 0;
    const short = type === 'string' && length <= SHORT_STRING ? 1 : 0;
    // The group's identity as a family (string) and a number packing the rest, looked up without building a string.
    let byType = this.typeCodes.get(type);
    if (byType === undefined) this.typeCodes.set(type, (byType = new Map()));
    let te = byType.get(encoding);
    if (te === undefined) byType.set(encoding, (te = this.typeCount++));
    let fam: Map<number | string, Group> | undefined;
    if (pattern === null) fam = this.unpatterned;
    else if ((fam = this.groups.get(pattern)) === undefined) this.groups.set(pattern, (fam = new Map()));
    const classes = (((ttl * 16 + mem) * 16 + (len ?? 15)) * 8 + cold * 4 + json * 2 + short) * 0x100000 + te; // < 2^35
    // A number while it stays exact (db below 2^16: always, in practice), else a string.
    const code = db < 0x10000 && te < 0x100000 ? db * 2 ** 35 + classes : `${db}/${classes}`;
    const hs = type === 'string' ? Math.max(0, memory - ((key.length + length + 8) * 1.25 + 2)) : 0;
    const g = fam.get(code);
    if (g === undefined) {
      fam.set(code, {
        db, type, encoding, pattern, ttl, mem, len, cold, json, short, keys: 1, memory, rdbBytes, keyBytes: key.length,
        lengthSum: length, memoryMax: memory, lengthMax: length, keyMin: Buffer.from(key), firstRow: rowid,
        idleMin: idleS, idleMax: idleS, idleKeys: idleS === null ? 0 : 1, freqKeys: freq === null ? 0 : 1, expiresMin: expiresAt, expiresMax: expiresAt,
        asHashSavings: hs, code,
      });
    } else {
      g.keys++;
      g.memory += memory;
      g.rdbBytes += rdbBytes;
      g.keyBytes += key.length;
      g.lengthSum += length;
      if (memory > g.memoryMax) g.memoryMax = memory;
      if (length > g.lengthMax) g.lengthMax = length;
      if (Buffer.compare(key, g.keyMin) < 0) g.keyMin = Buffer.from(key);
      if (rowid < g.firstRow) g.firstRow = rowid;
      if (freq !== null) g.freqKeys++;
      if (idleS !== null) {
        g.idleMin = minN(g.idleMin, idleS);
        g.idleMax = maxN(g.idleMax, idleS);
        g.idleKeys++;
      }
      g.expiresMin = minN(g.expiresMin, expiresAt);
      g.expiresMax = maxN(g.expiresMax, expiresAt);
      g.asHashSavings += hs;
    }
    const top = this.top;
    if (top.length === TOP_KEYS) {
      const last = top[top.length - 1]!;
      if (memory < last.memory) return; // most rows: no allocation, no comparison of bytes
      if (!before({ db, key: key as Buffer, memory, row: rowid }, last)) return;
    }
    const e: TopEntry = { db, key: Buffer.from(key), memory, row: rowid };
    let i = top.length;
    while (i > 0 && before(e, top[i - 1]!)) i--;
    top.splice(i, 0, e);
    if (top.length > TOP_KEYS) top.pop();
  }

  /** The groups once the pattern foldings are applied (folded families merge into the family they became). */
  rows(folds: Array<[string, string]>): Group[] {
    const all = [...this.groups.values(), this.unpatterned].flatMap((m) => [...m.values()]);
    if (folds.length === 0) return all;
    const to = new Map(folds);
    const merged = new Map<string, Group>();
    for (const g of all) {
      const pattern = g.pattern === null ? null : (to.get(g.pattern) ?? g.pattern);
      const id = `${pattern === null ? '\x01' : `=${pattern}`}\0${g.code}`;
      const m = merged.get(id);
      if (m === undefined) {
        merged.set(id, { ...g, pattern });
        continue;
      }
      m.keys += g.keys;
      m.memory += g.memory;
      m.rdbBytes += g.rdbBytes;
      m.keyBytes += g.keyBytes;
      m.lengthSum += g.lengthSum;
      m.memoryMax = Math.max(m.memoryMax, g.memoryMax);
      m.lengthMax = Math.max(m.lengthMax, g.lengthMax);
      if (Buffer.compare(g.keyMin, m.keyMin) < 0) m.keyMin = g.keyMin;
      m.firstRow = Math.min(m.firstRow, g.firstRow);
      m.idleMin = minN(m.idleMin, g.idleMin);
      m.idleMax = maxN(m.idleMax, g.idleMax);
      m.idleKeys += g.idleKeys;
      m.freqKeys += g.freqKeys;
      m.expiresMin = minN(m.expiresMin, g.expiresMin);
      m.expiresMax = maxN(m.expiresMax, g.expiresMax);
      m.asHashSavings += g.asHashSavings;
    }
    return [...merged.values()];
  }

  topKeys(): readonly TopEntry[] {
    return this.top;
  }
}

/** Column list of key_groups inserts, in the order of groupValues. */
export const GROUP_COLUMNS = [
  'snapshot_id', 'db', 'type', 'encoding', 'pattern', 'ttl_class', 'memory_class', 'length_class', 'cold', 'json',
  'short_string', 'keys', 'memory', 'rdb_bytes', 'key_bytes', 'length_sum', 'memory_max', 'length_max', 'key_min',
  'first_row', 'idle_min', 'idle_max', 'idle_keys', 'freq_keys', 'expires_min', 'expires_max', 'as_hash_savings',
] as const;

export function groupValues(id: number, g: Group): unknown[] {
  return [id, g.db, g.type, g.encoding, g.pattern, g.ttl, g.mem, g.len, g.cold, g.json, g.short, g.keys, g.memory,
    g.rdbBytes, g.keyBytes, g.lengthSum, g.memoryMax, g.lengthMax, g.keyMin, g.firstRow, g.idleMin, g.idleMax,
    g.idleKeys, g.freqKeys, g.expiresMin, g.expiresMax, g.asHashSavings];
}
