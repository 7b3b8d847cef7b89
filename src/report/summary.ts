/**
 * Everything a report shows, computed from one snapshot of an inventory with SQL. The result is plain data
 * (serializable as JSON); the text and HTML renderers only format it.
 */
import type { Db, SnapshotRow } from '../rules/snapshot.js';
import type { RuleResults } from '../rules/engine.js';
import { escapeBytes } from './text-escape.js';

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

function memoryBucketSql(): { expr: string; labels: string[] } {
  const edges = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
  const names = ['64 B', '256 B', '1 KB', '4 KB', '16 KB', '64 KB', '256 KB', '1 MB', '4 MB'];
  const labels = [`< ${names[0]}`, ...names.slice(1).map((n, i) => `${names[i]} - ${n}`), `>= ${names[names.length - 1]}`];
  const cases = edges.map((e, i) => `WHEN memory < ${e} THEN ${i}`).join(' ');
  return { expr: `CASE ${cases} ELSE ${edges.length} END`, labels };
}

function lengthBucketSql(): { expr: string; labels: string[] } {
  const edges = [8, 64, 128, 512, 1000, 5000, 10000, 100000, 1000000];
  const labels = [`1 - 7`, ...edges.slice(1).map((e, i) => `${edges[i]} - ${e - 1}`), `>= ${edges[edges.length - 1]}`];
  const cases = edges.map((e, i) => `WHEN length < ${e} THEN ${i}`).join(' ');
  return { expr: `CASE ${cases} ELSE ${edges.length} END`, labels };
}

function fill(labels: string[], rows: Array<{ b: number; keys: number; memory: number }>): Bucket[] {
  return labels.map((label, i) => {
    const r = rows.find((x) => x.b === i);
    return { label, keys: r?.keys ?? 0, memory: r?.memory ?? 0 };
  });
}

/** Computes the report data for `snap`; `recommendations` are the rule results to include, if any. */
export function buildSummary(db: Db, snap: SnapshotRow, recommendations: RuleResults | null, opts: SummaryOptions = {}): ReportData {
  const p = { s: snap.id };
  const all = <T>(sql: string, extra: Record<string, unknown> = {}): T[] => db.prepare(sql).all({ ...p, ...extra }) as T[];
  const totals = db.prepare(`SELECT COUNT(*) AS keys, COALESCE(SUM(memory), 0) AS memory, COALESCE(SUM(rdb_bytes), 0) AS rdbBytes,
    COUNT(expires_at) AS withTtl FROM keys WHERE snapshot_id = @s`).get(p) as ReportData['totals'];

  const byDb = all<ReportData['byDb'][number]>(`SELECT db, COUNT(*) AS keys, SUM(memory) AS memory, COUNT(expires_at) AS withTtl
    FROM keys WHERE snapshot_id = @s GROUP BY db ORDER BY db`);
  const byType = all<ReportData['byType'][number]>(`SELECT type, COUNT(*) AS keys, SUM(memory) AS memory
    FROM keys WHERE snapshot_id = @s GROUP BY type ORDER BY memory DESC, type`);
  const byEncoding = all<ReportData['byEncoding'][number]>(`SELECT type, encoding, COUNT(*) AS keys, SUM(memory) AS memory
    FROM keys WHERE snapshot_id = @s GROUP BY type, encoding ORDER BY memory DESC, type, encoding`);
  const patternRows = all<Omit<PatternRow, 'byType'>>(`SELECT COALESCE(pattern, '(no pattern)') AS pattern, COUNT(*) AS keys,
    SUM(memory) AS memory, COUNT(expires_at) * 1.0 / COUNT(*) AS ttlShare, group_concat(DISTINCT type) AS types
    FROM keys WHERE snapshot_id = @s GROUP BY pattern ORDER BY memory DESC, pattern LIMIT @n`, { n: opts.patterns ?? 500 });
  const typeRows = all<{ pattern: string; type: string; keys: number; memory: number }>(`SELECT COALESCE(pattern, '(no pattern)') AS pattern,
    type, COUNT(*) AS keys, SUM(memory) AS memory FROM keys WHERE snapshot_id = @s GROUP BY pattern, type ORDER BY memory DESC`);
  const typesOf = new Map<string, PatternRow['byType']>();
  for (const r of typeRows) {
    const list = typesOf.get(r.pattern) ?? [];
    list.push({ type: r.type, keys: r.keys, memory: r.memory });
    typesOf.set(r.pattern, list);
  }
  const patterns: PatternRow[] = patternRows.map((p) => ({ ...p, byType: typesOf.get(p.pattern) ?? [] }));

  // TTL buckets relative to the dump's ctime; without a ctime only 'no expiry' vs 'has TTL' can be told apart.
  const ttlRows = all<{ b: number; keys: number; memory: number }>(`SELECT CASE
      WHEN expires_at IS NULL THEN 0
      WHEN @now IS NULL THEN 6
      WHEN expires_at <= @now THEN 1
      WHEN expires_at - @now < 3600000 THEN 2
      WHEN expires_at - @now < 86400000 THEN 3
      WHEN expires_at - @now < 604800000 THEN 4
      ELSE 5 END AS b, COUNT(*) AS keys, SUM(memory) AS memory
    FROM keys WHERE snapshot_id = @s GROUP BY b`, { now: snap.ctime === null ? null : snap.ctime * 1000 });
  const ttl = fill(snap.ctime === null ? [...TTL_BUCKETS, 'has TTL (dump has no ctime)'] : TTL_BUCKETS, ttlRows)
    .filter((_b, i) => snap.ctime !== null || i === 0 || i === 6);

  const mb = memoryBucketSql();
  const memoryHistogram = fill(mb.labels, all(`SELECT ${mb.expr} AS b, COUNT(*) AS keys, SUM(memory) AS memory
    FROM keys WHERE snapshot_id = @s GROUP BY b`));
  const lb = lengthBucketSql();
  const lengthHistogram = fill(lb.labels, all(`SELECT ${lb.expr} AS b, COUNT(*) AS keys, SUM(memory) AS memory
    FROM keys WHERE snapshot_id = @s AND type NOT IN ('string', 'module') AND length > 0 GROUP BY b`));

  const top = all<{ db: number; key: Uint8Array; type: string; encoding: string; length: number; memory: number;
    expires_at: number | null; pattern: string | null }>(`SELECT db, key, type, encoding, length, memory, expires_at, pattern
    FROM keys WHERE snapshot_id = @s ORDER BY memory DESC, key LIMIT @n`, { n: opts.topKeys ?? 20 });
  const topKeys: TopKey[] = top.map((k) => ({
    db: k.db, key: escapeBytes(k.key), type: k.type, encoding: k.encoding, length: k.length, memory: k.memory,
    ttlS: k.expires_at === null ? null : snap.ctime === null ? null : Math.round((k.expires_at - snap.ctime * 1000) / 1000),
    pattern: k.pattern,
  }));

  return {
    snapshot: { ...snap, ctimeIso: snap.ctime === null ? null : new Date(snap.ctime * 1000).toISOString() },
    totals, byDb, byType, byEncoding, patterns, ttl, memoryHistogram, lengthHistogram, topKeys, recommendations,
  };
}
