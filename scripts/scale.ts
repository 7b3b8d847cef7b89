/**
 * Scale benchmark of the inventory, on synthetic dumps streamed by this script (no server: a Redis 7.0 layout of
 * RDB 10 with a CRC64 trailer, a mix of families like a web app's: hashes, strings with and without TTL, counters,
 * sets, sorted sets, lists). Three measurements, each against `redis-check-rdb` on the same files:
 *
 *   scale      a dump of --keys keys (default 50,000,000) and one of 2,000,000 from the same generator, each
 *              indexed into a new inventory: wall time, peak RSS, keys/s, bytes a key; then `report` on both.
 *   snapshots  eight different 2,000,000-key dumps indexed one after the other into one inventory: what each
 *              costs (the eighth against the first).
 *   shards     16 dumps of 125,000 keys (a cluster's shards) indexed in one run with --parallel 1 and 2, against
 *              the single 2,000,000-key dump.
 *
 *   node --import tsx scripts/scale.ts [--part scale|snapshots|shards|all] [--keys N] [--small N]
 *
 * Dumps and inventories go to bench-out/scale/ (git-ignored; a 50 M-key dump is about 3.5 GB, its inventory
 * about 4.5 GB). Dumps are reused when present. Prints a Markdown table per part and writes them to
 * bench-out/scale/result.md.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeDump } from './lib/synthetic-dump.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench-out', 'scale');
// A private copy of dist/ (made below), so that a rebuild during a long run cannot change what is measured.
const CLI = join(OUT, 'dist', 'cli.js');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}
function log(msg: string): void {
  process.stderr.write(`scale: ${msg}\n`);
}

function dump(name: string, keys: number, first: number, seed: number): string {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `${name}.rdb`);
  if (existsSync(path)) return path;
  log(`writing ${path} (${keys.toLocaleString('en-US')} keys) ...`);
  const t = Date.now();
  const size = writeDump(path, keys, first, seed);
  log(`  ${(size / 1e6).toFixed(0)} MB in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return path;
}

interface Measured {
  wall: number;
  rssMb: number;
}

/** Runs a command under /usr/bin/time -v: wall seconds and peak RSS; fails loudly when the command fails. */
function measure(what: string, cmd: string[]): Measured {
  log(`${what} ...`);
  const tv = join(OUT, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-v', '-o', tv, ...cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}`);
  const t = readFileSync(tv, 'utf8');
  const wallText = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(t)![1]!;
  const parts = wallText.split(':').map(Number);
  const wall = parts.length === 3 ? parts[0]! * 3600 + parts[1]! * 60 + parts[2]! : parts[0]! * 60 + parts[1]!;
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(t)![1]) / 1024;
  log(`  ${wall.toFixed(1)} s, ${rss.toFixed(0)} MB`);
  return { wall, rssMb: rss };
}

function fresh(path: string): string {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  return path;
}

const fmt = (n: number, d = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const kps = (keys: number, s: number): string => fmt(keys / s / 1000, 0) + 'k';

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function partScale(big: number, small: number): string {
  const rows: string[][] = [];
  for (const [name, keys] of [[`keys-${small}`, small], [`keys-${big}`, big]] as const) {
    const d = dump(name, keys, 0, 1);
    const check = measure(`redis-check-rdb ${name}`, ['redis-check-rdb', d]);
    const inv = fresh(join(OUT, `${name}.sqlite`));
    const ix = measure(`index ${name}`, ['node', CLI, 'index', d, '--out', inv, '--quiet']);
    const rep = measure(`report ${name}`, ['sh', '-c', `node "${CLI}" report --in "${inv}" --format json >/dev/null`]);
    rows.push([fmt(keys, 0), fmt(statSync(d).size / 1e9, 2), fmt(check.wall), fmt(ix.wall), fmt(ix.wall / check.wall, 2) + 'x',
      kps(keys, ix.wall), fmt(ix.rssMb, 0), fmt(statSync(inv).size / keys, 0), fmt(rep.wall), fmt(rep.rssMb, 0)]);
    if (keys === big) rmSync(inv, { force: true }); // 4-5 GB
  }
  return '### One dump, ' + fmt(small / 1e6, 1) + ' M and ' + fmt(big / 1e6, 1) + ' M keys\n\n' + table(['keys', 'dump GB', 'redis-check-rdb s', 'index s', 'ratio',
    'keys/s', 'index peak RSS MB', 'bytes a key', 'report s', 'report peak RSS MB'], rows);
}

function partSnapshots(small: number): string {
  const inv = fresh(join(OUT, 'eight.sqlite'));
  const rows: string[][] = [];
  let first = 0;
  for (let s = 1; s <= 8; s++) {
    // different keys and sizes each day: key ids move on by a tenth, so most keys are the same from one to the next
    const d = dump(`day-${s}-${small}`, small + s, Math.round((s - 1) * small * 0.1), 100 + s);
    const check = measure(`redis-check-rdb day ${s}`, ['redis-check-rdb', d]);
    const ix = measure(`index day ${s}`, ['node', CLI, 'index', d, '--out', inv, '--quiet']);
    if (s === 1) first = ix.wall;
    rows.push([String(s), fmt(check.wall), fmt(ix.wall), fmt(ix.wall / first, 2) + 'x', fmt(ix.rssMb, 0), fmt(statSync(inv).size / 1e6, 0)]);
  }
  const diff = measure('diff day 7 -> day 8', ['sh', '-c', `node "${CLI}" diff --in "${inv}" --format json >/dev/null`]);
  rmSync(inv, { force: true });
  // The first dump again into a new inventory, after the others: how much the machine itself drifted meanwhile.
  const d1 = dump(`day-1-${small}`, small + 1, 0, 101);
  const again = measure('index day 1 again, new inventory', ['node', CLI, 'index', d1, '--out', fresh(join(OUT, 'again.sqlite')), '--quiet']);
  rows.push(['1 again, into a new inventory, after the others', '', fmt(again.wall), fmt(again.wall / first, 2) + 'x', fmt(again.rssMb, 0), '']);
  rmSync(join(OUT, 'again.sqlite'), { force: true });
  return `### Eight snapshots of ${fmt(small / 1e6, 0)} M keys in one inventory\n\n` + table(['snapshot', 'redis-check-rdb s', 'index s',
    'vs the first', 'peak RSS MB', 'inventory MB'], rows) + `\n\n\`diff\` of the last two: ${fmt(diff.wall)} s, ${fmt(diff.rssMb, 0)} MB.`;
}

function partShards(small: number): string {
  const n = 16;
  const per = Math.round(small / n);
  const shards = Array.from({ length: n }, (_, i) => dump(`shard-${i}-${per}`, per, i * per, 1000 + i));
  const one = dump(`keys-${small}`, small, 0, 1);
  const rows: string[][] = [];
  const check = measure('redis-check-rdb, 16 shards one after the other', ['sh', '-c', shards.map((s) => `redis-check-rdb "${s}" >/dev/null`).join(' && ')]);
  rows.push(['redis-check-rdb, the 16 shards one after the other', fmt(check.wall), kps(per * n, check.wall), fmt(check.rssMb, 0)]);
  const single = measure('index, one dump', ['node', CLI, 'index', one, '--out', fresh(join(OUT, 'one.sqlite')), '--quiet']);
  rows.push([`index, one ${fmt(small / 1e6, 0)} M-key dump`, fmt(single.wall), kps(small, single.wall), fmt(single.rssMb, 0)]);
  for (const p of [1, 2]) {
    const m = measure(`index, 16 shards, --parallel ${p}`, ['node', CLI, 'index', ...shards, '--out', fresh(join(OUT, 'shards.sqlite')), '--quiet', '--parallel', String(p)]);
    rows.push([`index, the 16 shards in one run, --parallel ${p}`, fmt(m.wall), kps(per * n, m.wall), fmt(m.rssMb, 0)]);
  }
  rmSync(join(OUT, 'one.sqlite'), { force: true });
  rmSync(join(OUT, 'shards.sqlite'), { force: true });
  return `### ${n} shard dumps of ${fmt(per, 0)} keys\n\n` + table(['run', 'wall s', 'keys/s', 'peak RSS MB'], rows);
}

const part = arg('part', 'all');
const big = Number(arg('keys', '50000000'));
const small = Number(arg('small', '2000000'));
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build first');
rmSync(join(OUT, 'dist'), { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
cpSync(join(ROOT, 'dist'), join(OUT, 'dist'), { recursive: true });
const out: string[] = [`machine: ${cpus().length} cores, node ${process.version}, ${spawnSync('redis-server', ['--version']).stdout.toString().split(' ').slice(0, 3).join(' ')}`];
if (part === 'scale' || part === 'all') out.push(partScale(big, small));
if (part === 'snapshots' || part === 'all') out.push(partSnapshots(small));
if (part === 'shards' || part === 'all') out.push(partShards(small));
const text = out.join('\n\n') + '\n';
writeFileSync(join(OUT, `result-${part}.md`), text);
process.stdout.write(text);
