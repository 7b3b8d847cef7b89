/**
 * Compares rdbscope's per-key memory estimate with the server's MEMORY USAGE SAMPLES 0 recorded in truth.tsv.
 *
 *   rdbscope dump DUMP --format jsonl | node --import tsx scripts/bench/compare-memory.ts TRUTH.tsv
 *   node --import tsx scripts/bench/compare-memory.ts TRUTH.tsv --sqlite INVENTORY.sqlite
 *
 * JSONL lines need the key (`key` text, or `key_base64`) and the estimate (`memory`); `db` defaults to 0.
 * Prints the relative error |estimate - truth| / truth: median, p90, p99, overall, and the median per encoding.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

interface Truth { enc: string; mem: number }

async function loadTruth(path: string): Promise<Map<string, Truth>> {
  const m = new Map<string, Truth>();
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let first = true;
  for await (const line of rl) {
    if (first) { first = false; continue; }
    const [db, key, enc, mem] = line.split('\t');
    m.set(`${db}\t${key}`, { enc, mem: Number(mem) });
  }
  return m;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function* fromJsonl(): AsyncGenerator<[string, number]> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    const key = typeof o.key === 'string' ? o.key
      : typeof o.key_base64 === 'string' ? Buffer.from(o.key_base64, 'base64').toString('latin1') : null;
    const mem = Number(o.memory ?? o.memory_usage);
    if (key === null || !Number.isFinite(mem)) throw new Error(`a JSONL line lacks key/memory: ${line.slice(0, 200)}`);
    yield [`${Number(o.db ?? 0)}\t${key}`, mem];
  }
}

function* fromSqlite(path: string): Generator<[string, number]> {
  const db = new Database(path, { readonly: true });
  const snap = db.prepare("SELECT max(id) AS id FROM snapshots WHERE status = 'complete'").get() as { id: number | null };
  if (snap.id === null) throw new Error(`${path}: no complete snapshot`);
  const rows = db.prepare('SELECT db, key, memory FROM keys WHERE snapshot_id = ?').raw().iterate(snap.id);
  for (const r of rows as Iterable<[number, Buffer, number]>) yield [`${r[0]}\t${r[1].toString('latin1')}`, Number(r[2])];
  db.close();
}

async function main(): Promise<void> {
  const [truthPath] = process.argv.slice(2);
  const si = process.argv.indexOf('--sqlite');
  if (!truthPath) throw new Error('usage: compare-memory.ts TRUTH.tsv [--sqlite INVENTORY]');
  const truth = await loadTruth(truthPath);
  const errs: number[] = [];
  const byEnc = new Map<string, number[]>();
  let sumTruth = 0;
  let sumEst = 0;
  let unknown = 0;
  let exact = 0;
  const worst: Array<{ k: string; enc: string; est: number; mem: number; e: number }> = [];
  const source = si >= 0 ? fromSqlite(process.argv[si + 1]) : fromJsonl();
  for await (const [k, est] of source) {
    const t = truth.get(k);
    if (!t) { unknown++; continue; }
    truth.delete(k);
    const e = Math.abs(est - t.mem) / t.mem;
    errs.push(e);
    if (est === t.mem) exact++;
    if (worst.length < 5 || e > worst[worst.length - 1].e) {
      worst.push({ k: k.replace('\t', ' '), enc: t.enc, est, mem: t.mem, e });
      worst.sort((a, b) => b.e - a.e);
      if (worst.length > 5) worst.pop();
    }
    let l = byEnc.get(t.enc);
    if (!l) byEnc.set(t.enc, (l = []));
    l.push(e);
    sumTruth += t.mem;
    sumEst += est;
  }
  if (errs.length === 0) throw new Error(`no key of the output is in ${truthPath} (${unknown} unknown keys)`);
  const sorted = Float64Array.from(errs).sort();
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `keys compared: ${errs.length}; in truth but not in the output: ${truth.size}; in the output but not in truth: ${unknown}`,
    `relative error per key: median ${pct(quantile(sorted, 0.5))}, p90 ${pct(quantile(sorted, 0.9))}, ` +
      `p99 ${pct(quantile(sorted, 0.99))}, max ${pct(sorted[sorted.length - 1])}; exact for ${pct(exact / errs.length)} of keys`,
    `total: estimate ${sumEst} vs MEMORY USAGE ${sumTruth} bytes (${pct((sumEst - sumTruth) / sumTruth)})`,
    'median error by encoding: ' + [...byEnc].sort().map(([enc, l]) => {
      const s = Float64Array.from(l).sort();
      return `${enc} ${pct(quantile(s, 0.5))} (p90 ${pct(quantile(s, 0.9))}, n=${l.length})`;
    }).join('; '),
    'worst keys: ' + worst.map((w) => `db ${w.k} (${w.enc}) estimate ${w.est} vs ${w.mem}`).join('; '),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`compare-memory: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
