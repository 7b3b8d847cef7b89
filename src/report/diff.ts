/**
 * Comparing two snapshots of an inventory: per pattern, keys and memory before and after, keys that are new or
 * gone (joined on (db, key), the exact key bytes), keys whose TTL state changed, and growth per month from the
 * dumps' ctime. Biggest growers (by memory change) come first.
 */
import type { Db } from '../inventory/db.js';
import { makeSink, type Cell, type Format } from '../inventory/format.js';
import { fmtBytes, fmtInt, table } from './text-escape.js';
import {
  familySql, monthlyGrowth, monthsBetween, spanText, tooShortForRate, NO_PATTERN, snapshotName, type SnapshotInfo,
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

/** Per pair of families (in `from`, in `to`; null: absent there), what the keys of that pair add up to. */
interface PairRow extends Pick<PatternDiff, 'newKeys' | 'newMemory' | 'goneKeys' | 'goneMemory' | 'ttlAdded' | 'ttlRemoved'> {
  fp: string | null;
  tp: string | null;
  /** Rows in `from` and in `to`, and their memory. */
  nf: number;
  nt: number;
  fm: number;
  tm: number;
}

/**
 * Both snapshots' keys in one pass, grouped by (db, key): the rows of both are read in table order and sorted by
 * key once, so the cost is that of the two snapshots whatever else the inventory holds, and no index on key bytes
 * is needed. A key held twice by one dump counts twice, and its TTL changes count per pair of rows, as a join
 * would count them.
 */
const PAIRS_SQL = `
SELECT fp, tp, SUM(nf) AS nf, SUM(nt) AS nt, SUM(fm) AS fm, SUM(tm) AS tm,
       SUM(CASE WHEN nf = 0 THEN nt ELSE 0 END) AS newKeys, SUM(CASE WHEN nf = 0 THEN tm ELSE 0 END) AS newMemory,
       SUM(CASE WHEN nt = 0 THEN nf ELSE 0 END) AS goneKeys, SUM(CASE WHEN nt = 0 THEN fm ELSE 0 END) AS goneMemory,
       SUM(f_no_ttl * t_ttl) AS ttlAdded, SUM(f_ttl * t_no_ttl) AS ttlRemoved
FROM (
  SELECT MAX(CASE WHEN s = @from THEN fam END) AS fp, MAX(CASE WHEN s = @to THEN fam END) AS tp,
         SUM(s = @from) AS nf, SUM(s = @to) AS nt,
         SUM(CASE WHEN s = @from THEN memory ELSE 0 END) AS fm, SUM(CASE WHEN s = @to THEN memory ELSE 0 END) AS tm,
         SUM(s = @from AND ttl = 0) AS f_no_ttl, SUM(s = @from AND ttl = 1) AS f_ttl,
         SUM(s = @to AND ttl = 0) AS t_no_ttl, SUM(s = @to AND ttl = 1) AS t_ttl
  FROM (SELECT k.snapshot_id AS s, k.db, k.key, k.memory, k.expires_at IS NOT NULL AS ttl, FAMILY AS fam
        FROM keys k WHERE k.snapshot_id IN (@from, @to))
  GROUP BY db, key)
GROUP BY fp, tp`;

/** Compares snapshot `from` with snapshot `to`. */
export function computeDiff(db: Db, from: SnapshotInfo, to: SnapshotInfo): DiffResult {
  const rows = new Map<string, PatternDiff>();
  const get = (p: string): PatternDiff => {
    let d = rows.get(p);
    if (!d) rows.set(p, (d = emptyDiff(p)));
    return d;
  };
  const sql = PAIRS_SQL.replace('FAMILY', familySql('k').replace('?', '@none'));
  const pairs = db.prepare(sql).all({ from: from.id, to: to.id, none: NO_PATTERN }) as PairRow[];
  for (const p of pairs) {
    if (p.fp !== null) {
      const d = get(p.fp);
      d.keysBefore += p.nf;
      d.memoryBefore += p.fm;
      d.goneKeys += p.goneKeys;
      d.goneMemory += p.goneMemory;
    }
    if (p.tp !== null) {
      const d = get(p.tp);
      d.keysAfter += p.nt;
      d.memoryAfter += p.tm;
      d.newKeys += p.newKeys;
      d.newMemory += p.newMemory;
      d.ttlAdded += p.ttlAdded;
      d.ttlRemoved += p.ttlRemoved;
    }
  }

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

/** Growth as a percentage a month, or '-' when undefined or the span is under a day (see tooShortForRate). */
export function fmtGrowth(g: number | null, months: number | null): string {
  return g === null || tooShortForRate(months) ? '-' : `${signed(g * 100, (v) => v.toFixed(1))} %/mo`;
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
  const span = r.months === null ? 'no elapsed time known'
    : spanText(r.months) + (tooShortForRate(r.months) ? ' (under a day: no monthly growth rate)' : '');
  write(`from ${snapshotName(r.from)} to ${snapshotName(r.to)}: ${span}\n\n`);
  const rows = [...r.patterns, r.total].map((d) => [
    d.pattern, fmtInt(d.keysBefore), fmtInt(d.keysAfter), fmtBytes(d.memoryBefore), fmtBytes(d.memoryAfter),
    signed(d.memoryAfter - d.memoryBefore, fmtBytes), fmtInt(d.newKeys), fmtInt(d.goneKeys),
    `+${fmtInt(d.ttlAdded)}/-${fmtInt(d.ttlRemoved)}`, fmtGrowth(d.growthPerMonth, r.months),
  ]);
  write(table(['pattern', 'keys before', 'keys after', 'memory before', 'memory after', 'change', 'new', 'gone',
    'ttl +/-', 'growth'], rows) + '\n');
}
