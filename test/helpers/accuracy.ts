/**
 * Memory model accuracy against a server fixture (fixtures/servers/<name>/): decodes the fixture's dump with the
 * estimator, joins every key with the server's own `MEMORY USAGE key SAMPLES 0` from keys.tsv, and reports the
 * per-key error quantiles, the total and each encoding's total.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemoryEstimator, type AllocatorName, type MemoryModelName } from '../../src/memory/index.js';
import { tee } from '../../src/decode/tee.js';
import { parseFile } from '../../src/decode/index.js';
import type { KeyRecord, RdbHandler } from '../../src/decode/model.js';

export const SERVER_FIXTURES = resolve(import.meta.dirname, '..', '..', 'fixtures', 'servers');

export interface ServerFixture {
  name: string;
  dir: string;
  server: 'redis' | 'valkey';
  version: string;
  allocator: AllocatorName;
  cluster: boolean;
}

export function serverFixtures(): ServerFixture[] {
  if (!existsSync(SERVER_FIXTURES)) return [];
  return readdirSync(SERVER_FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(SERVER_FIXTURES, d.name, 'server.json')))
    .map((d) => {
      const dir = join(SERVER_FIXTURES, d.name);
      const s = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as Omit<ServerFixture, 'dir'>;
      return { name: s.name, dir, server: s.server, version: s.version, allocator: s.allocator, cluster: s.cluster };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A key as keys.tsv writes it: the text when it is printable UTF-8 without tabs or backslashes, else `hex:...`. */
export function keyCell(k: Uint8Array): string {
  const b = Buffer.from(k);
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = Buffer.from(s, 'utf8').equals(b) && !/[\u0000-\u001f\u007f\\]/.test(s) && !s.startsWith('hex:');
  return printable ? s : `hex:${b.toString('hex')}`;
}

export interface KeyError { key: string; enc: string; truth: number; est: number; err: number }
export interface EncodingTotal { enc: string; keys: number; truth: number; est: number; err: number }
export interface Accuracy {
  model: MemoryModelName;
  allocator: AllocatorName;
  keys: number;
  median: number;
  p90: number;
  max: number;
  truth: number;
  est: number;
  total: number;
  encodings: EncodingTotal[];
  worst: KeyError[];
  /** Keys of keys.tsv the dump did not have, or the other way round (both must be 0). */
  unmatched: number;
  /** Keys whose encoding or expiry in the dump differs from what the server said. */
  mismatched: string[];
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

export function measure(fx: ServerFixture, opts: { model?: MemoryModelName; allocator?: AllocatorName } = {}): Accuracy {
  const truth = new Map<string, { type: string; enc: string; exp: string; mem: number }>();
  const lines = readFileSync(join(fx.dir, 'keys.tsv'), 'utf8').split('\n').slice(1);
  for (const line of lines) {
    if (!line) continue;
    const [db, key, type, enc, exp, mem] = line.split('\t');
    truth.set(`${db}\t${key}`, { type: type!, enc: enc!, exp: exp!, mem: Number(mem) });
  }
  const est = new MemoryEstimator({ model: opts.model ?? 'auto', allocator: opts.allocator ?? fx.allocator, cluster: fx.cluster });
  const rows: KeyError[] = [];
  const mismatched: string[] = [];
  let unmatched = 0;
  const collect: RdbHandler = {
    endKey(rec: KeyRecord): void {
      const id = `${rec.db}\t${keyCell(rec.key)}`;
      const t = truth.get(id);
      if (!t) { unmatched++; return; }
      truth.delete(id);
      const enc = `${rec.type}/${rec.encoding}`;
      if (enc !== `${t.type}/${t.enc}` || String(rec.expiresAtMs ?? '') !== t.exp) {
        mismatched.push(`${id}: ${enc} ${rec.expiresAtMs ?? ''} vs server ${t.type}/${t.enc} ${t.exp}`);
      }
      const e = est.lastKeyBytes;
      rows.push({ key: id, enc: `${t.type}/${t.enc}`, truth: t.mem, est: e, err: Math.abs(e - t.mem) / t.mem });
    },
  };
  parseFile(join(fx.dir, 'dump.rdb'), tee(est, collect));
  unmatched += truth.size;
  const errs = rows.map((r) => r.err).sort((a, b) => a - b);
  const byEnc = new Map<string, EncodingTotal>();
  let sumT = 0, sumE = 0;
  for (const r of rows) {
    sumT += r.truth; sumE += r.est;
    const e = byEnc.get(r.enc) ?? { enc: r.enc, keys: 0, truth: 0, est: 0, err: 0 };
    e.keys++; e.truth += r.truth; e.est += r.est;
    byEnc.set(r.enc, e);
  }
  for (const e of byEnc.values()) e.err = (e.est - e.truth) / e.truth;
  return {
    model: est.model, allocator: est.allocator, keys: rows.length,
    median: quantile(errs, 0.5), p90: quantile(errs, 0.9), max: errs[errs.length - 1] ?? NaN,
    truth: sumT, est: sumE, total: (sumE - sumT) / sumT,
    encodings: [...byEnc.values()].sort((a, b) => a.enc.localeCompare(b.enc)),
    worst: [...rows].sort((a, b) => b.err - a.err).slice(0, 15),
    unmatched, mismatched,
  };
}

/** The acceptance: median <= 0.5 %, p90 <= 2 %, total within 1 %, each encoding within 2 % (streams 5 %). */
export function acceptanceFailures(a: Accuracy): string[] {
  const out: string[] = [];
  if (a.median > 0.005) out.push(`median ${(a.median * 100).toFixed(2)} % > 0.5 %`);
  if (a.p90 > 0.02) out.push(`p90 ${(a.p90 * 100).toFixed(2)} % > 2 %`);
  if (Math.abs(a.total) > 0.01) out.push(`total ${(a.total * 100).toFixed(2)} % beyond 1 %`);
  for (const e of a.encodings) {
    const limit = e.enc.startsWith('stream') ? 0.05 : 0.02;
    if (Math.abs(e.err) > limit) out.push(`${e.enc} total ${(e.err * 100).toFixed(2)} % beyond ${limit * 100} %`);
  }
  return out;
}

export function pct(x: number): string {
  return `${x >= 0 ? '' : '-'}${Math.abs(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 1)} %`;
}
