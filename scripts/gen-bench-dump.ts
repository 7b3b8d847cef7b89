/**
 * Makes the benchmark dump with a real redis-server (free port, temp dir, stopped by pid): generated RESP piped
 * into `redis-cli --pipe`, then MEMORY USAGE SAMPLES 0 and OBJECT ENCODING of every key recorded into truth.tsv,
 * then SAVE. Reuses an existing dump. Prints the dump's path on stdout.
 *
 *   node --import tsx scripts/gen-bench-dump.ts [--keys 2000000] [--force]
 * Output: bench-out/dump.rdb + bench-out/truth.tsv (default size), bench-out/keys-N/... for other --keys.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisInstance } from '../test/helpers/redis.js';
import { Mix, RespWriter } from './bench/mix.js';

const DEFAULT_KEYS = 2_000_000;

function arg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? '') : null;
}
function log(msg: string): void {
  process.stderr.write(`gen-bench-dump: ${msg}\n`);
}

/** Streams generated commands into `redis-cli --pipe` with backpressure; returns the key names. */
async function load(r: RedisInstance, total: number): Promise<string[]> {
  const cli = spawn('redis-cli', ['-p', String(r.port), '--pipe'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  cli.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = once(cli, 'exit');
  const w = new RespWriter();
  const flush = async (): Promise<void> => {
    if (!cli.stdin.write(w.take())) await once(cli.stdin, 'drain');
  };
  const mix = new Mix(1234);
  const keys: string[] = [];
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    keys.push(mix.key(w, i));
    if (w.size > 8 << 20 || (i & 1023) === 1023) {
      if (w.size > 1 << 20) await flush();
    }
    if (i % 200_000 === 199_999) log(`${i + 1} keys sent (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  keys.push(...(await mix.bigKeys(w, flush, total / DEFAULT_KEYS)));
  await flush();
  cli.stdin.end();
  const [code] = await exited;
  if (code !== 0 || !/errors: 0,/.test(out)) throw new Error(`redis-cli --pipe: ${out.trim().split('\n').pop()}`);
  log(`loaded ${keys.length} keys in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return keys;
}

/** MEMORY USAGE SAMPLES 0 and OBJECT ENCODING of every key, as db, key, encoding, memory (TSV). */
async function truth(r: RedisInstance, keys: string[], path: string): Promise<void> {
  const c = new Redis({ port: r.port, host: '127.0.0.1' });
  const out = createWriteStream(`${path}.tmp`);
  out.write('db\tkey\tencoding\tmemory_usage\n');
  for (let i = 0; i < keys.length; i += 5000) {
    const batch = keys.slice(i, i + 5000);
    const p = c.pipeline();
    for (const k of batch) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0').call('OBJECT', 'ENCODING', k);
    const res = (await p.exec()) ?? [];
    let text = '';
    for (let j = 0; j < batch.length; j++) {
      const [e1, mem] = res[2 * j];
      const [e2, enc] = res[2 * j + 1];
      if (e1 || e2 || mem === null) throw new Error(`MEMORY USAGE ${batch[j]}: ${String(e1 ?? e2 ?? 'no such key')}`);
      text += `0\t${batch[j]}\t${String(enc)}\t${String(mem)}\n`;
    }
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.tmp`, path);
  writeFileSync(join(path, '..', 'info-memory.txt'), await c.info('memory'));
  await c.quit();
}

async function main(): Promise<void> {
  const total = Number(arg('keys') ?? DEFAULT_KEYS);
  if (!Number.isInteger(total) || total < 100) throw new Error('--keys must be an integer >= 100');
  const root = resolve(import.meta.dirname, '..', 'bench-out');
  const dir = total === DEFAULT_KEYS ? root : join(root, `keys-${total}`);
  const dump = join(dir, 'dump.rdb');
  const truthPath = join(dir, 'truth.tsv');
  if (existsSync(dump) && existsSync(truthPath) && arg('force') === null) {
    log(`reusing ${dump} (${(statSync(dump).size / 1e6).toFixed(0)} MB); --force to remake`);
    process.stdout.write(`${dump}\n`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const r = await startRedis();
  try {
    const keys = await load(r, total);
    const t0 = Date.now();
    await truth(r, keys, truthPath);
    log(`truth.tsv written in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const t1 = Date.now();
    const saved = r.save();
    renameSync(saved, `${dump}.tmp`);
    renameSync(`${dump}.tmp`, dump);
    log(`SAVE took ${((Date.now() - t1) / 1000).toFixed(0)} s: ${dump} (${(statSync(dump).size / 1e6).toFixed(0)} MB)`);
  } finally {
    await r.stop();
  }
  process.stdout.write(`${dump}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gen-bench-dump: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
