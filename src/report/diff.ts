/**
 * Comparing two snapshots of an inventory: per pattern, keys and memory before and after, keys that are new or
 * gone (joined on (db, key), the exact key bytes), keys whose TTL state changed, and growth per month from the
 * dumps' ctime. Biggest growers (by memory change) come first.
 */
import type { Db } from '../inventory/db.js';
import { makeSink, type Cell, type Format } from '../inventory/format.js';
import { fmtBytes, fmtInt, table } from './text-escape.js';
import {
  familySql, monthlyGrowth, monthsBetween, NO_PATTERN, patternStats, snapshotName, type SnapshotInfo,
} from './history-load.js';

export interface PatternDiff {
  pattern: string;
  keysBefore: number;
  keysAfter: number;
  memoryBefore: number;
  memoryAfter: number;
  /** Keys in `to` and not in `from` (counted under their pattern in `to`), and their memory. */
  newKeys: number;
  newMemory: number;
  /** Keys in `from` and not in `to` (counted under their pattern in `from`), and their memory. */
  goneKeys: number;
  goneMemory: number;
  /** Keys in both that had no TTL and now have one, and the reverse (counted under their pattern in `to`). */
  ttlAdded: number;
  ttlRemoved: number;
  /** Simple monthly memory growth as a fraction (0.1 = 10 % a month), or null when undefined. */
  growthPerMonth: number | null;
}

export interface DiffResult {
  from: SnapshotInfo;
  to: SnapshotInfo;
  months: number | null;
  patterns: PatternDiff[];
  total: PatternDiff;
}

function emptyDiff(pattern: string): PatternDiff {
  return {
    pattern, keysBefore: 0, keysAfter: 0, memoryBefore: 0, memoryAfter: 0, newKeys: 0, newMemory: 0,
    goneKeys: 0, goneMemory: 0, ttlAdded: 0, ttlRemoved: 0, growthPerMonth: null,
  };
}

interface Side { pattern: string; n: number; mem: number }

/** Keys of snapshot `a` with no key of the same (db, key) in snapshot `b`, per pattern of `a`. */
function unmatched(db: Db, a: number, b: number): Side[] {
  return db
    .prepare(`SELECT ${familySql('x')} AS pattern, COUNT(*) AS n, COALESCE(SUM(x.memory), 0) AS mem
              FROM keys x WHERE x.snapshot_id = ? AND NOT EXISTS
                (SELECT 1 FROM keys y WHERE y.snapshot_id = ? AND y.key = x.key AND y.db = x.db)
              GROUP BY 1`)
    .all(NO_PATTERN, a, b) as Side[];
}

/** Compares snapshot `from` with snapshot `to`. */
export function computeDiff(db: Db, from: SnapshotInfo, to: SnapshotInfo): DiffResult {
  const rows = new Map<string, PatternDiff>();
  const get = (p: string): PatternDiff => {
    let d = rows.get(p);
    if (!d) rows.set(p, (d = emptyDiff(p)));
    return d;
  };
  for (const s of patternStats(db, from)) Object.assign(get(s.pattern), { keysBefore: s.keys, memoryBefore: s.memory });
  for (const s of patternStats(db, to)) Object.assign(get(s.pattern), { keysAfter: s.keys, memoryAfter: s.memory });
  for (const s of unmatched(db, to.id, from.id)) Object.assign(get(s.pattern), { newKeys: s.n, newMemory: s.mem });
  for (const s of unmatched(db, from.id, to.id)) Object.assign(get(s.pattern), { goneKeys: s.n, goneMemory: s.mem });
  const ttl = db
    .prepare(`SELECT ${familySql('b')} AS pattern,
                     SUM(a.expires_at IS NULL AND b.expires_at IS NOT NULL) AS added,
                     SUM(a.expires_at IS NOT NULL AND b.expires_at IS NULL) AS removed
              FROM keys b JOIN keys a ON a.snapshot_id = ? AND a.key = b.key AND a.db = b.db
              WHERE b.snapshot_id = ? AND ((a.expires_at IS NULL) <> (b.expires_at IS NULL))
              GROUP BY 1`)
    .all(NO_PATTERN, from.id, to.id) as Array<{ pattern: string; added: number; removed: number }>;
  for (const t of ttl) Object.assign(get(t.pattern), { ttlAdded: t.added, ttlRemoved: t.removed });

  const months = monthsBetween(from, to);
  const total = emptyDiff('(total)');
  for (const d of rows.values()) {
    d.growthPerMonth = monthlyGrowth(d.memoryBefore, d.memoryAfter, months);
    for (const k of Object.keys(total) as Array<keyof PatternDiff>) {
      if (k !== 'pattern' && k !== 'growthPerMonth') total[k] += d[k];
    }
  }
  total.growthPerMonth = monthlyGrowth(total.memoryBefore, total.memoryAfter, months);
  const patterns = [...rows.values()].sort((x, y) =>
    (y.memoryAfter - y.memoryBefore) - (x.memoryAfter - x.memoryBefore) || x.pattern.localeCompare(y.pattern));
  return { from, to, months, patterns, total };
}

const COLUMNS = ['pattern', 'keys_before', 'keys_after', 'memory_before', 'memory_after', 'memory_change', 'new_keys',
  'new_memory', 'gone_keys', 'gone_memory', 'ttl_added', 'ttl_removed', 'growth_per_month'];

function cells(d: PatternDiff): Cell[] {
  return [d.pattern, d.keysBefore, d.keysAfter, d.memoryBefore, d.memoryAfter, d.memoryAfter - d.memoryBefore,
    d.newKeys, d.newMemory, d.goneKeys, d.goneMemory, d.ttlAdded, d.ttlRemoved, d.growthPerMonth];
}

function signed(n: number, f: (n: number) => string): string {
  return n > 0 ? `+${f(n)}` : n < 0 ? `-${f(-n)}` : '0';
}

/** Growth as a percentage a month, or '-' when undefined. */
export function fmtGrowth(g: number | null): string {
  return g === null ? '-' : `${signed(g * 100, (v) => v.toFixed(1))} %/mo`;
}

/** Writes the diff as a table (for people), csv (one row per pattern) or json (the whole result). */
export function renderDiff(r: DiffResult, format: Format, write: (s: string) => void): void {
  if (format === 'json') {
    write(JSON.stringify({ from: r.from, to: r.to, months: r.months, patterns: r.patterns, total: r.total }, null, 2) + '\n');
    return;
  }
  if (format === 'csv' || format === 'jsonl') {
    const sink = makeSink(format, COLUMNS, write);
    for (const d of r.patterns) sink.row(cells(d));
    sink.end();
    return;
  }
  const span = r.months === null ? 'no elapsed time known' : `${(r.months * 30.4375).toFixed(1)} days`;
  write(`from ${snapshotName(r.from)} to ${snapshotName(r.to)}: ${span}\n\n`);
  const rows = [...r.patterns, r.total].map((d) => [
    d.pattern, fmtInt(d.keysBefore), fmtInt(d.keysAfter), fmtBytes(d.memoryBefore), fmtBytes(d.memoryAfter),
    signed(d.memoryAfter - d.memoryBefore, fmtBytes), fmtInt(d.newKeys), fmtInt(d.goneKeys),
    `+${fmtInt(d.ttlAdded)}/-${fmtInt(d.ttlRemoved)}`, fmtGrowth(d.growthPerMonth),
  ]);
  write(table(['pattern', 'keys before', 'keys after', 'memory before', 'memory after', 'change', 'new', 'gone',
    'ttl +/-', 'growth'], rows) + '\n');
}
