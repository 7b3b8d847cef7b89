/**
 * Growth across all complete snapshots of one source: per pattern, keys and memory in the first and last snapshot
 * of the series and the simple monthly memory growth between them (the same definition as `diff`), flagged when
 * it exceeds a threshold. Snapshots are grouped by label (a daily `index --label prod`) or by source path.
 */
import type { Db } from '../inventory/db.js';
import { makeSink, type Cell, type Format } from '../inventory/format.js';
import { fmtBytes, fmtInt, table } from './text-escape.js';
import { fmtGrowth } from './diff.js';
import {
  completeSnapshots, monthlyGrowth, monthsBetween, spanText, patternStats, type PatternStats, type SnapshotInfo,
} from './history-load.js';

export type GroupBy = 'label' | 'source';

export interface TrendRow {
  group: string;
  pattern: string;
  /** Snapshots of the group in which the pattern has keys. */
  seen: number;
  keysFirst: number;
  keysLast: number;
  memoryFirst: number;
  memoryLast: number;
  /** Simple monthly memory growth between the group's first and last snapshot, null when undefined. */
  growthPerMonth: number | null;
  /** Growth above the threshold, or a pattern that is absent from the first snapshot and present in the last. */
  flagged: boolean;
}

export interface TrendGroup {
  group: string;
  snapshots: SnapshotInfo[];
  months: number | null;
  rows: TrendRow[];
}

/** Complete snapshots grouped by label (or source), oldest first; only `only` when given (matching label or source). */
export function groupSnapshots(db: Db, by: GroupBy, only?: string): Map<string, SnapshotInfo[]> {
  const groups = new Map<string, SnapshotInfo[]>();
  for (const s of completeSnapshots(db)) {
    if (only !== undefined && s.label !== only && s.source !== only) continue;
    const g = only ?? (by === 'label' ? s.label ?? s.source : s.source);
    groups.set(g, [...(groups.get(g) ?? []), s]);
  }
  return groups;
}

/** The trend of one group of snapshots (oldest first). */
export function computeTrend(db: Db, group: string, snaps: SnapshotInfo[], threshold: number): TrendGroup {
  const first = snaps[0]!;
  const last = snaps[snaps.length - 1]!;
  const months = snaps.length > 1 ? monthsBetween(first, last) : null;
  const series = snaps.map((s) => new Map(patternStats(db, s).map((p) => [p.pattern, p])));
  const names = new Set(series.flatMap((m) => [...m.keys()]));
  const zero = { keys: 0, memory: 0 } as PatternStats;
  const rows: TrendRow[] = [...names].map((pattern) => {
    const a = series[0]!.get(pattern) ?? zero;
    const b = series[series.length - 1]!.get(pattern) ?? zero;
    const growthPerMonth = monthlyGrowth(a.memory, b.memory, months);
    const appeared = months !== null && a.memory === 0 && b.memory > 0;
    return {
      group, pattern, seen: series.filter((m) => m.has(pattern)).length, keysFirst: a.keys, keysLast: b.keys,
      memoryFirst: a.memory, memoryLast: b.memory, growthPerMonth,
      flagged: appeared || (growthPerMonth !== null && growthPerMonth > threshold),
    };
  });
  rows.sort((x, y) => (y.growthPerMonth ?? (y.flagged ? Infinity : -Infinity)) - (x.growthPerMonth ?? (x.flagged ? Infinity : -Infinity))
    || (y.memoryLast - x.memoryLast) || x.pattern.localeCompare(y.pattern));
  return { group, snapshots: snaps, months, rows };
}

const COLUMNS = ['group', 'pattern', 'snapshots', 'keys_first', 'keys_last', 'memory_first', 'memory_last',
  'growth_per_month', 'flagged'];

function cells(r: TrendRow): Cell[] {
  return [r.group, r.pattern, r.seen, r.keysFirst, r.keysLast, r.memoryFirst, r.memoryLast, r.growthPerMonth, r.flagged ? 1 : 0];
}

export function renderTrend(groups: TrendGroup[], threshold: number, format: Format, write: (s: string) => void): void {
  if (format === 'json') {
    write(JSON.stringify({ threshold, groups }, null, 2) + '\n');
    return;
  }
  if (format === 'csv' || format === 'jsonl') {
    const sink = makeSink(format, COLUMNS, write);
    for (const g of groups) for (const r of g.rows) sink.row(cells(r));
    sink.end();
    return;
  }
  for (const g of groups) {
    const span = g.months === null ? 'an unknown time span' : spanText(g.months);
    write(`${g.group}: ${g.snapshots.length} snapshot(s) over ${span}; flagged: growth over ${(threshold * 100).toFixed(1)} %/mo\n\n`);
    const rows = g.rows.map((r) => [r.flagged ? '!' : '', r.pattern, String(r.seen), fmtInt(r.keysFirst), fmtInt(r.keysLast),
      fmtBytes(r.memoryFirst), fmtBytes(r.memoryLast), fmtGrowth(r.growthPerMonth, g.months)]);
    write(table(['', 'pattern', 'seen', 'keys first', 'keys last', 'memory first', 'memory last', 'growth'], rows, 'llrrrrrr') + '\n\n');
  }
}
