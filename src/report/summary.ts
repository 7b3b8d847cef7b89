/**
 * Everything a report shows, computed from one snapshot of an inventory with SQL. The result is plain data
 * (serializable as JSON); the text and HTML renderers only format it.
 */
import type { Db, SnapshotRow } from '../rules/snapshot.js';
import type { RuleResults } from '../rules/engine.js';
import { escapeBytes } from './text-escape.js';
import { LENGTH_EDGES, TOP_KEYS } from '../inventory/groups.js';

export interface Bucket {
  readonly label: string;
  readonly keys: number;
  readonly memory: number;
}

export interface PatternRow {
  readonly pattern: string;
  readonly keys: number;
  readonly memory: number;
  /** Share of the family's keys that have a TTL, 0..1. */
  readonly ttlShare: number;
  readonly types: string;
  /** Memory and keys of the family by type, largest first. */
  readonly byType: Array<{ type: string; keys: number; memory: number }>;
}

export interface TopKey {
  readonly db: number;
  /** The key for display (binary bytes escaped as \xNN). */
  readonly key: string;
  readonly type: string;
  readonly encoding: string;
  readonly length: number;
  readonly memory: number;
  /** Seconds from the dump's ctime to the key's expiry (negative: already expired), or null without TTL. */
  readonly ttlS: number | null;
  readonly pattern: string | null;
}

export interface ReportData {
  readonly snapshot: SnapshotRow & { readonly ctimeIso: string | null };
  readonly totals: { readonly keys: number; readonly memory: number; readonly rdbBytes: number; readonly withTtl: number };
  readonly byDb: Array<{ db: number; keys: number; memory: number; withTtl: number }>;
  readonly byType: Array<{ type: string; keys: number; memory: number }>;
  readonly byEncoding: Array<{ type: string; encoding: string; keys: number; memory: number }>;
  /** Families by memory, largest first (all of them; renderers show the top). */
  readonly patterns: PatternRow[];
  /** Memory by time left to expiry, relative to the dump's ctime. */
  readonly ttl: Bucket[];
  /** Keys by estimated memory. */
  readonly memoryHistogram: Bucket[];
  /** Collections (not strings) by element count. */
  readonly lengthHistogram: Bucket[];
  readonly topKeys: TopKey[];
  readonly recommendations: RuleResults | null;
}

export interface SummaryOptions {
  readonly topKeys?: number;
  readonly patterns?: number;
}

const TTL_BUCKETS = ['no expiry', 'already expired', '< 1 h', '1-24 h', '1-7 d', '> 7 d'];

function bucketLabels(names: readonly string[]): string[] {
  return [`< ${names[0]}`, ...names.slice(1).map((n, i) => `${names[i]} - ${n}`), `>= ${names[names.length - 1]}`];
}

const MEMORY_LABELS = bucketLabels(['64 B', '256 B', '1 KiB', '4 KiB', '16 KiB', '64 KiB', '256 KiB', '1 MiB', '4 MiB']);
const LENGTH_LABELS = [`1 - 7`, ...LENGTH_EDGES.slice(1).map((e, i) => `${LENGTH_EDGES[i]} - ${e - 1}`), `>= ${LENGTH_EDGES[LENGTH_EDGES.length - 1]}`];

function fill(labels: string[], rows: Array<{ b: number; keys: number; memory: number }>): Bucket[] {
  return labels.map((label, i) => {
    const r = rows.find((x) => x.b === i);
    return { label, keys: r?.keys ?? 0, memory: r?.memory ?? 0 };
  });
}

interface Agg {
  keys: number;
  memory: number;
  withTtl: number;
}

function bump<K>(m: Map<K, Agg>, k: K, keys: number, memory: number, ttl: number): Agg {
  let a = m.get(k);
  if (!a) m.set(k, (a = { keys: 0, memory: 0, withTtl: 0 }));
  a.keys += keys;
  a.memory += memory;
  a.withTtl += ttl;
  return a;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Computes the report data for `snap`; `recommendations` are the rule results to include, if any.
 *
 * The breakdowns (databases, types, encodings, families, TTL and size buckets) come from the snapshot's
 * key_groups, computed when it was indexed, and the top keys from its top_keys: a few thousand rows rather than
 * every key (the figures are the same: tested against a scan of keys on real dumps).
 */
export function buildSummary(db: Db, snap: SnapshotRow, recommendations: RuleResults | null, opts: SummaryOptions = {}): ReportData {
  // The snapshot's key_groups (see src/inventory/groups.ts), in the order their first key appears in the dump:
  // a family's types are then listed in the order a scan of its keys meets them.
  const groups = db.prepare(`SELECT db, type, encoding, COALESCE(pattern, '(no pattern)'), keys, memory, rdb_bytes,
      ttl_class, memory_class, length_class
    FROM key_groups WHERE snapshot_id = ? ORDER BY first_row`).raw().all(snap.id) as Array<
      [number, string, string, string, number, number, number, number, number, number | null]>;
  const totals = { keys: 0, memory: 0, rdbBytes: 0, withTtl: 0 };
  const dbs = new Map<number, Agg>();
  const types = new Map<string, Agg>();
  const encodings = new Map<string, Agg>();
  const families = new Map<string, Agg & { byType: Map<string, Agg> }>();
  const ttlB = new Map<number, Agg>();
  const memB = new Map<number, Agg>();
  const lenB = new Map<number, Agg>();
  for (const [d, type, encoding, pattern, n, memory, rdbBytes, tb, mbk, lbk] of groups) {
    const withTtl = tb === 0 ? 0 : n;
    totals.keys += n;
    totals.memory += memory;
    totals.rdbBytes += rdbBytes;
    totals.withTtl += withTtl;
    bump(dbs, d, n, memory, withTtl);
    bump(types, type, n, memory, 0);
    bump(encodings, `${type}\0${encoding}`, n, memory, 0);
    let f = families.get(pattern);
    if (!f) families.set(pattern, (f = { keys: 0, memory: 0, withTtl: 0, byType: new Map() }));
    f.keys += n;
    f.memory += memory;
    f.withTtl += withTtl;
    bump(f.byType, type, n, memory, 0);
    bump(ttlB, tb, n, memory, 0);
    bump(memB, mbk, n, memory, 0);
    if (lbk !== null) bump(lenB, lbk, n, memory, 0);
  }
  const buckets = (m: Map<number, Agg>): Array<{ b: number; keys: number; memory: number }> =>
    [...m].map(([b, a]) => ({ b, keys: a.keys, memory: a.memory }));

  const byDb = [...dbs].sort((a, b) => a[0] - b[0]).map(([d, a]) => ({ db: d, keys: a.keys, memory: a.memory, withTtl: a.withTtl }));
  const byType = [...types].map(([type, a]) => ({ type, keys: a.keys, memory: a.memory }))
    .sort((a, b) => b.memory - a.memory || byText(a.type, b.type));
  const byEncoding = [...encodings].map(([k, a]) => {
    const [type, encoding] = k.split('\0') as [string, string];
    return { type, encoding, keys: a.keys, memory: a.memory };
  }).sort((a, b) => b.memory - a.memory || byText(a.type, b.type) || byText(a.encoding, b.encoding));
  const patterns: PatternRow[] = [...families]
    .sort((a, b) => b[1].memory - a[1].memory || byText(a[0], b[0]))
    .slice(0, opts.patterns ?? 500)
    .map(([pattern, f]) => ({
      pattern, keys: f.keys, memory: f.memory, ttlShare: f.withTtl / f.keys,
      types: [...f.byType.keys()].join(','),
      byType: [...f.byType].map(([type, a]) => ({ type, keys: a.keys, memory: a.memory })).sort((a, b) => b.memory - a.memory),
    }));

  const ttl = fill(snap.ctime === null ? [...TTL_BUCKETS, 'has TTL (dump has no ctime)'] : TTL_BUCKETS, buckets(ttlB))
    .filter((_b, i) => snap.ctime !== null || i === 0 || i === 6);
  const memoryHistogram = fill(MEMORY_LABELS, buckets(memB));
  const lengthHistogram = fill(LENGTH_LABELS, buckets(lenB));

  const topKeys: TopKey[] = topKeyRows(db, snap.id, opts.topKeys ?? 20).map((k) => ({
    db: k.db, key: escapeBytes(k.key), type: k.type, encoding: k.encoding, length: k.length, memory: k.memory,
    ttlS: k.expires_at === null ? null : snap.ctime === null ? null : Math.round((k.expires_at - snap.ctime * 1000) / 1000),
    pattern: k.pattern,
  }));

  return {
    snapshot: { ...snap, ctimeIso: snap.ctime === null ? null : new Date(snap.ctime * 1000).toISOString() },
    totals, byDb, byType, byEncoding, patterns, ttl, memoryHistogram, lengthHistogram, topKeys, recommendations,
  };
}

interface TopRow {
  db: number;
  key: Uint8Array;
  type: string;
  encoding: string;
  length: number;
  memory: number;
  expires_at: number | null;
  pattern: string | null;
}

/** The n largest keys by memory (ties by key bytes): from top_keys, or for more than it holds, a scan. */
function topKeyRows(db: Db, id: number, n: number): TopRow[] {
  const cols = 'k.db, k.key, k.type, k.encoding, k.length, k.memory, k.expires_at, k.pattern';
  if (n <= TOP_KEYS) {
    const hasRow = (db.pragma('table_info(top_keys)') as Array<{ name: string }>).some((c) => c.name === 'row');
    const byRow = hasRow && db.prepare('SELECT 1 FROM top_keys WHERE snapshot_id = ? AND row IS NULL LIMIT 1').get(id) === undefined;
    if (byRow) {
      return db.prepare(`SELECT ${cols} FROM top_keys t JOIN keys k ON k.rowid = t.row
        WHERE t.snapshot_id = @id AND t.rank <= @n ORDER BY t.rank`).all({ id, n }) as TopRow[];
    }
    // Summaries made before top_keys held rowids: every row of the keys ranked 1..n (a dump may hold a key twice),
    // ranked again: the first n are those ranks.
    return db.prepare(`SELECT ${cols}
      FROM (SELECT DISTINCT db, key FROM top_keys WHERE snapshot_id = @id AND rank <= @n) t
      JOIN keys k ON k.key = t.key AND k.snapshot_id = @id AND k.db = t.db
      ORDER BY k.memory DESC, k.key, k.db LIMIT @n`).all({ id, n }) as TopRow[];
  }
  return db.prepare(`SELECT ${cols} FROM keys k WHERE k.snapshot_id = ? ORDER BY k.memory DESC, k.key, k.db LIMIT ?`).all(id, n) as TopRow[];
}
