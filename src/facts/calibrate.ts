/**
 * Calibration: the memory model's figure for a sample of a snapshot's keys against what the server itself says
 * (MEMORY USAGE key SAMPLES 0, read-only), as median and 90th-percentile relative error. A large error usually
 * means the allocator variant is the other one (--allocator bundled|system) or that the keys changed since the
 * snapshot. Keys gone from the server, or of another type now, are left out.
 */
import type { Redis } from 'ioredis';
import type { Db } from '../inventory/db.js';
import type { Fact } from './read.js';

export interface CalibrationResult {
  /** Keys compared. */
  samples: number;
  /** Keys asked for that the server no longer has (or that changed type). */
  missing: number;
  medianError: number;
  p90Error: number;
  /** Keys whose estimate is exact. */
  exact: number;
  allocator: string | null;
  model: string | null;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Up to `n` keys of the snapshot chosen at random, spread over its rows (rowids of the snapshot's range). */
function sampleKeys(db: Db, snapshot: number, n: number): Array<{ db: number; key: Buffer; type: string; memory: number }> {
  const range = db.prepare('SELECT MIN(rowid) AS lo, MAX(rowid) AS hi, COUNT(*) AS n FROM keys WHERE snapshot_id = ?').get(snapshot) as { lo: number | null; hi: number | null; n: number };
  if (range.lo === null || range.hi === null) return [];
  const get = db.prepare('SELECT db, key, type, memory FROM keys WHERE rowid = ? AND snapshot_id = ?');
  const picked = new Map<number, { db: number; key: Buffer; type: string; memory: number }>();
  const want = Math.min(n, range.n);
  for (let tries = 0; picked.size < want && tries < want * 20; tries++) {
    const id = range.lo + Math.floor(Math.random() * (range.hi - range.lo + 1));
    if (picked.has(id)) continue;
    const row = get.get(id, snapshot) as { db: number; key: Buffer; type: string; memory: number } | undefined;
    if (row) picked.set(id, row);
  }
  return [...picked.values()];
}

const TYPE_NAMES: Record<string, string> = { string: 'string', list: 'list', set: 'set', zset: 'zset', hash: 'hash', stream: 'stream' };

export async function calibrate(c: Redis, db: Db, snapshot: number, n: number): Promise<CalibrationResult> {
  const meta = db.prepare('SELECT memory_model, memory_allocator FROM snapshots WHERE id = ?').get(snapshot) as { memory_model: string | null; memory_allocator: string | null };
  const keys = sampleKeys(db, snapshot, n).sort((a, b) => a.db - b.db);
  const errors: number[] = [];
  let missing = 0;
  let exact = 0;
  let current = -1;
  for (const k of keys) {
    if (k.db !== current) {
      await c.call('SELECT', String(k.db));
      current = k.db;
    }
    const [type, usage] = await Promise.all([c.call('TYPE', k.key), c.call('MEMORY', 'USAGE', k.key, 'SAMPLES', '0')]);
    if (usage === null || String(type) !== (TYPE_NAMES[k.type] ?? String(type))) {
      missing++;
      continue;
    }
    const actual = Number(usage);
    if (!(actual > 0)) {
      missing++;
      continue;
    }
    if (actual === k.memory) exact++;
    errors.push(Math.abs(k.memory - actual) / actual);
  }
  if (current > 0) await c.call('SELECT', '0');
  errors.sort((a, b) => a - b);
  return { samples: errors.length, missing, medianError: quantile(errors, 0.5), p90Error: quantile(errors, 0.9), exact, allocator: meta.memory_allocator, model: meta.memory_model };
}

/** The result as server_facts rows ('calibration.<name>'). */
export function calibrationFacts(r: CalibrationResult): Fact[] {
  const readAt = new Date().toISOString();
  const f = (name: string, value: string | number | null): Fact => ({ name: `calibration.${name}`, value: value === null ? null : String(value), readAt, refused: null });
  return [f('samples', r.samples), f('missing', r.missing), f('exact', r.exact), f('median_error', r.medianError), f('p90_error', r.p90Error),
    f('allocator', r.allocator), f('model', r.model)].filter((x) => x.value !== null);
}
