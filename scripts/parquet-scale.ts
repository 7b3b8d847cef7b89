/**
 * Parquet export at scale, on a synthetic dump streamed by scripts/lib/synthetic-dump.ts (no server): in one run,
 * `index` into SQLite, `export` of that inventory, `index --format parquet` straight from the dump, and
 * `recommend` on each, with the wall time and peak RSS of each (GNU time). Memory is bounded: an export holds one
 * Parquet file's rows at a time (--rows-per-file) under DuckDB's --memory-limit, so the peak does not grow with
 * the number of keys.
 *
 *   node --import tsx scripts/parquet-scale.ts [--keys 2000000] [--memory-limit 1GB]
 *
 * Files go to bench-out/parquet/ (git-ignored); the dump is reused when present. Prints a Markdown table and
 * writes it to bench-out/parquet/result-KEYS.md.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeDump } from './lib/synthetic-dump.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench-out', 'parquet');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}
function log(msg: string): void {
  process.stderr.write(`parquet-scale: ${msg}\n`);
}

const keys = Number(arg('keys', '2000000'));
const memoryLimit = arg('memory-limit', '1GB');
mkdirSync(OUT, { recursive: true });
// A private copy of dist/, so that a rebuild during the run cannot change what is measured.
const dist = join(OUT, 'dist');
rmSync(dist, { recursive: true, force: true });
cpSync(join(ROOT, 'dist'), dist, { recursive: true });
const CLI = join(dist, 'cli.js');

const dump = join(OUT, `synthetic-${keys}.rdb`);
if (!existsSync(dump)) {
  log(`writing ${dump} ...`);
  writeDump(dump, keys, 0, 7);
}

interface Measured { wall: number; rssMb: number; stdout: string }

function measure(what: string, args: string[]): Measured {
  log(`${what} ...`);
  const tv = join(OUT, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-v', '-o', tv, process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}`);
  const t = readFileSync(tv, 'utf8');
  const parts = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(t)![1]!.split(':').map(Number);
  const wall = parts.length === 3 ? parts[0]! * 3600 + parts[1]! * 60 + parts[2]! : parts[0]! * 60 + parts[1]!;
  const rssMb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(t)![1]) / 1024;
  log(`  ${wall.toFixed(1)} s, ${rssMb.toFixed(0)} MiB`);
  return { wall, rssMb, stdout: r.stdout };
}

function du(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((n, e) => n + du(join(p, e)), 0);
}

const inv = join(OUT, `inv-${keys}.sqlite`);
const pq = join(OUT, `export-${keys}`);
const direct = join(OUT, `direct-${keys}`);
for (const p of [inv, `${inv}-wal`, `${inv}-shm`, pq, direct]) rmSync(p, { recursive: true, force: true });

const rows: string[][] = [];
const row = (step: string, m: Measured, bytes?: number): void => {
  rows.push([step, m.wall.toFixed(1), m.rssMb.toFixed(0), bytes === undefined ? '' : (bytes / 1e6).toFixed(1), bytes === undefined ? '' : (bytes / keys).toFixed(1)]);
};
row('`index` into SQLite', measure('index', ['index', dump, '-q', '-o', inv]), du(inv));
row('`export` of that inventory (zstd)', measure('export', ['export', '--in', inv, '--out', pq, '-q', '--memory-limit', memoryLimit]), du(join(pq, 'keys')));
row('`index --format parquet` (index into a temporary inventory, then export)', measure('index --format parquet', ['index', dump, '-q', '--format', 'parquet', '--out', direct, '--memory-limit', memoryLimit]), du(join(direct, 'keys')));
const a = measure('recommend (SQLite)', ['recommend', '--in', inv, '-f', 'json']);
row('`recommend` on the inventory', a);
const b = measure('recommend --parquet', ['recommend', '--parquet', pq, '-f', 'json']);
row('`recommend --parquet` on the dataset (DuckDB)', b);
const same = a.stdout === b.stdout;
log(`recommend outputs ${same ? 'identical' : 'DIFFER'}`);

const text = [
  `machine: ${cpus().length} cores, node ${process.version}; ${keys.toLocaleString('en-US')} keys, dump ${(statSync(dump).size / 1e6).toFixed(0)} MB; DuckDB memory limit ${memoryLimit}`,
  '',
  '| step | wall s | peak RSS MiB | output MB | bytes a key |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  `recommend output on SQLite and on Parquet: ${same ? 'identical' : 'different'}`,
  '',
].join('\n');
process.stdout.write(text);
writeFileSync(join(OUT, `result-${keys}.md`), text);
if (!same) process.exitCode = 1;
