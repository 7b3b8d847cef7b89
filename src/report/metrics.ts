/**
 * Prometheus text exposition (format 0.0.4) of an inventory's complete snapshots: per snapshot and per pattern,
 * keys, memory, keys with a TTL, bytes of keys already expired when the dump was written, the largest key; and
 * per snapshot group (label) and pattern, the monthly memory growth over the group's series. Samples carry no
 * timestamp: the dump time is exported as its own gauge (rdbscope_snapshot_ctime_seconds).
 */
import { buildScorecard, scorecardGauges } from './scorecard.js';
import type { Db } from '../inventory/db.js';
import { completeSnapshots, patternStats, type PatternStats, type SnapshotInfo } from './history-load.js';
import { computeTrend, groupSnapshots } from './trend.js';

/** A label value escaped for the text format: backslash, double quote and line feed. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function num(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
}

interface Family { name: string; help: string; samples: string[] }

class Exposition {
  private readonly families = new Map<string, Family>();
  add(name: string, help: string, l: Record<string, string>, v: number): void {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { name, help, samples: [] }));
    f.samples.push(`${name}${labels(l)} ${num(v)}`);
  }
  text(): string {
    return [...this.families.values()]
      .map((f) => `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} gauge\n${f.samples.join('\n')}\n`)
      .join('');
  }
}

function snapLabels(s: SnapshotInfo): Record<string, string> {
  return { snapshot: s.label ?? s.source, snapshot_id: String(s.id), source: s.source };
}

const FIGURES: ReadonlyArray<readonly [string, string, (p: PatternStats) => number]> = [
  ['keys', 'Keys in the dump', (p) => p.keys],
  ['memory_bytes', 'Estimated memory of the keys (sum of MEMORY USAGE), bytes', (p) => p.memory],
  ['keys_with_ttl', 'Keys with a TTL', (p) => p.withTtl],
  ['ttl_ratio', 'Share of keys with a TTL (0..1)', (p) => (p.keys > 0 ? p.withTtl / p.keys : 0)],
  ['expired_bytes', 'Memory of keys already expired but still present when the dump was written, bytes', (p) => p.expiredBytes],
  ['largest_key_bytes', 'Memory of the largest key, bytes', (p) => p.largest],
];

/** The whole exposition for the inventory `db`. */
export function renderMetrics(db: Db): string {
  const out = new Exposition();
  for (const s of completeSnapshots(db)) {
    const stats = patternStats(db, s);
    const total: PatternStats = {
      pattern: '', keys: 0, memory: 0, withTtl: 0, expiredBytes: 0, largest: 0,
    };
    for (const p of stats) {
      total.keys += p.keys;
      total.memory += p.memory;
      total.withTtl += p.withTtl;
      total.expiredBytes += p.expiredBytes;
      total.largest = Math.max(total.largest, p.largest);
    }
    const sl = snapLabels(s);
    if (s.ctime !== null) out.add('rdbscope_snapshot_ctime_seconds', 'Dump creation time (aux ctime), seconds since the epoch', sl, s.ctime);
    for (const [name, help, f] of FIGURES) out.add(`rdbscope_snapshot_${name}`, `${help}, per snapshot`, sl, f(total));
    for (const g of scorecardGauges(buildScorecard(db, s.id))) out.add(g.name, g.help, sl, g.value);
    for (const p of stats) {
      const pl = { ...sl, pattern: p.pattern };
      for (const [name, help, f] of FIGURES) out.add(`rdbscope_pattern_${name}`, `${help}, per snapshot and key pattern`, pl, f(p));
    }
  }
  for (const [group, snaps] of groupSnapshots(db, 'label')) {
    if (snaps.length < 2) continue;
    for (const r of computeTrend(db, group, snaps, Infinity).rows) {
      if (r.growthPerMonth === null) continue;
      out.add('rdbscope_pattern_memory_growth_monthly_ratio',
        'Simple monthly memory growth of a key pattern between the first and last snapshot of a label (0.1 = 10 % a month)',
        { group, pattern: r.pattern }, r.growthPerMonth);
    }
  }
  return out.text();
}
