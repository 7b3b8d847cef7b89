/**
 * Regenerates the committed fixtures from a real redis-server (started here on a free port with a temp dir; the
 * shared server on 6379 is never touched). Expectations are read back from the server, never from our decoder.
 *
 *   node --import tsx scripts/make-fixtures.ts [--only sample|all-encodings|aof|lfu]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, resp, type RedisInstance } from '../test/helpers/redis.js';
import { Readback, bytesJson } from './lib/readback.js';
import { allEncodingsCommands, FUNCTION_CODE, REQUIRED_ENCODINGS, type Cmd } from './fixtures/all-encodings-data.js';
import { sampleCommands } from './fixtures/sample-data.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures');

/** Writes a file atomically (temp file, then rename). */
function writeAtomic(path: string, data: string | Buffer): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}
/** Copies a dump into fixtures/ atomically, after redis-check-rdb has accepted it. */
function copyAtomic(from: string, to: string): void {
  const check = spawnSync('redis-check-rdb', [from], { encoding: 'utf8' });
  if (check.status !== 0 || !/RDB looks OK/.test(check.stdout)) throw new Error(`redis-check-rdb rejects ${from}: ${check.stdout.slice(-300)}`);
  copyFileSync(from, `${to}.tmp`);
  renameSync(`${to}.tmp`, to);
}
function load(r: RedisInstance, cmds: Cmd[]): void {
  for (let i = 0; i < cmds.length; i += 2000) r.pipe(Buffer.concat(cmds.slice(i, i + 2000).map((c) => resp(...c))));
}
/** JSON with one line per array element at the top level of `keys`-like arrays: diffable and compact. */
function jsonLines(obj: Record<string, unknown>): string {
  const parts = Object.entries(obj).map(([k, v]) => {
    const body = Array.isArray(v) ? `[\n${v.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n ]` : JSON.stringify(v);
    return ` ${JSON.stringify(k)}: ${body}`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}
function log(msg: string): void {
  process.stderr.write(`make-fixtures: ${msg}\n`);
}

async function allEncodings(): Promise<void> {
  const r = await startRedis(['--enable-debug-command', 'yes']);
  const rb = new Readback(r.port);
  try {
    load(r, allEncodingsCommands());
    const keys = await rb.allKeys([0, 1, 15]);
    const found = new Set(keys.map((k) => `${k.type}/${k.encoding}`));
    const missing = REQUIRED_ENCODINGS.filter((e) => !found.has(e));
    if (missing.length) throw new Error(`all-encodings lacks ${missing.join(', ')}`);
    const functions = await rb.functions();
    if (functions.length !== 1 || functions[0].code !== FUNCTION_CODE) throw new Error('function library not read back');
    const expected = {
      comment: 'Read back from the server that wrote all-encodings.rdb (scripts/make-fixtures.ts). Format: fixtures/README.md',
      server: await rb.serverVersion(),
      encodings: [...found].sort(),
      functions,
      keys,
    };
    const dump = r.save();
    copyAtomic(dump, join(FIXTURES, 'all-encodings.rdb'));
    writeAtomic(join(FIXTURES, 'all-encodings.expected.json'), jsonLines(expected));
    log(`all-encodings.rdb: ${keys.length} keys, encodings ${[...found].sort().join(' ')}`);
  } finally {
    await rb.close();
    await r.stop();
  }
}

async function sample(): Promise<void> {
  // allkeys-lru makes SAVE write each key's idle time (IDLE opcode); maxmemory 0 means no eviction happens.
  const r = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
  const rb = new Readback(r.port);
  try {
    const { commands, cold } = sampleCommands();
    load(r, commands);
    // Lengths first: STRLEN & co. touch the LRU clock, so they must come before the idle times are set.
    const dbs = [0, 1];
    const lengths = new Map<string, number>();
    for (const db of dbs) for (const k of await rb.keysOf(db)) lengths.set(`${db}:${k.toString('hex')}`, (await rb.key(db, k)).length);
    await rb.cmd('SELECT', 0);
    for (const [key, idle] of cold) {
      const payload = await rb.cmd('DUMP', key);
      await rb.cmd('RESTORE', key, 0, payload as Buffer, 'REPLACE', 'IDLETIME', idle);
    }
    // Only commands that do not touch the LRU clock from here on (TYPE, OBJECT, PEXPIRETIME, MEMORY USAGE).
    const rows = ['db\tkey\ttype\tencoding\tlength\texpires_at_ms\tmemory_usage\tidle_s'];
    for (const db of dbs) {
      for (const k of await rb.keysOf(db)) {
        const type = (await rb.cmd('TYPE', k))!.toString();
        const enc = (await rb.cmd('OBJECT', 'ENCODING', k))!.toString();
        const exp = Number(await rb.cmd('PEXPIRETIME', k));
        const mem = Number(await rb.cmd('MEMORY', 'USAGE', k, 'SAMPLES', 0));
        const idle = Number(await rb.cmd('OBJECT', 'IDLETIME', k));
        const kj = bytesJson(k);
        const keyText = typeof kj === 'string' ? kj : `hex:${kj.hex}`;
        rows.push([db, keyText, type, enc, lengths.get(`${db}:${k.toString('hex')}`), exp < 0 ? '' : exp, mem, idle].join('\t'));
      }
    }
    const dump = r.save();
    copyAtomic(dump, join(FIXTURES, 'sample.rdb'));
    writeAtomic(join(FIXTURES, 'sample.rdb.gz'), gzipSync(readFileSync(dump), { level: 9 }));
    writeAtomic(join(FIXTURES, 'sample.expected.tsv'), `${rows.join('\n')}\n`);
    log(`sample.rdb: ${rows.length - 1} keys (${cold.length} cold)`);
  } finally {
    await rb.close();
    await r.stop();
  }
}

/** lfu.rdb: keys with LFU counters (FREQ opcode), written under allkeys-lfu; counters set with RESTORE ... FREQ. */
async function lfu(): Promise<void> {
  const r = await startRedis(['--maxmemory-policy', 'allkeys-lfu']);
  const rb = new Readback(r.port);
  try {
    const freqs: Array<[string, number]> = [['lfu:hot', 255], ['lfu:warm', 40], ['lfu:cold', 0], ['lfu:hash', 7]];
    load(r, [['SET', 'lfu:hot', 'h'], ['SET', 'lfu:warm', 'w'], ['SET', 'lfu:cold', 'c'], ['HSET', 'lfu:hash', 'f', 'v']]);
    for (const [key, freq] of freqs) {
      const payload = await rb.cmd('DUMP', key);
      await rb.cmd('RESTORE', key, 0, payload as Buffer, 'REPLACE', 'FREQ', freq);
    }
    const keys = [];
    for (const k of await rb.keysOf(0)) {
      keys.push({ db: 0, key: bytesJson(k), freq: Number(await rb.cmd('OBJECT', 'FREQ', k)) });
    }
    const dump = r.save();
    copyAtomic(dump, join(FIXTURES, 'lfu.rdb'));
    writeAtomic(join(FIXTURES, 'lfu.expected.json'), jsonLines({
      comment: 'OBJECT FREQ of each key, read back from the server under allkeys-lfu just before SAVE (scripts/make-fixtures.ts).',
      server: await rb.serverVersion(),
      keys,
    }));
    log(`lfu.rdb: ${keys.length} keys with LFU counters`);
  } finally {
    await rb.close();
    await r.stop();
  }
}

/** The current base and incr file names from a Redis 7 AOF manifest. */
function manifest(dir: string): { base: string; incr: string } {
  const text = readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'utf8');
  const file = (type: string): string => {
    const m = new RegExp(`^file (\\S+) seq \\d+ type ${type}$`, 'm').exec(text);
    if (!m) throw new Error(`AOF manifest has no type ${type} file: ${text}`);
    return m[1];
  };
  return { base: file('b'), incr: file('i') };
}

async function aof(): Promise<void> {
  const r = await startRedis(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes', '--appendfsync', 'always',
    '--appenddirname', 'appendonlydir']);
  const rb = new Readback(r.port);
  try {
    load(r, [
      ['SET', 'aof:string', 'in the preamble'],
      ['HSET', 'aof:hash', 'a', '1', 'b', '2'],
      ['RPUSH', 'aof:list', 'x', 'y', 'z'],
      ['SADD', 'aof:set', '1', '2', '3'],
      ['ZADD', 'aof:zset', '1', 'one', '2', 'two'],
      ['SET', 'aof:ttl', 'v'], ['PEXPIREAT', 'aof:ttl', '4102444800000'],
      ['SELECT', '2'], ['SET', 'aof:db2', 'in db 2'], ['SELECT', '0'],
    ]);
    r.cli('BGREWRITEAOF');
    for (let i = 0; ; i++) {
      const info = r.cli('INFO', 'persistence');
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) && manifest(r.dir).base.endsWith('.rdb')) break;
      if (i > 200) throw new Error('BGREWRITEAOF did not finish');
      await sleep(50);
    }
    const preambleKeys = await rb.allKeys([0, 2]);
    load(r, [['SET', 'aof:after-rewrite', 'only in the AOF tail'], ['DEL', 'aof:list'], ['HSET', 'aof:hash', 'c', '3']]);
    const afterReplay = await rb.allKeys([0, 2]);
    const m = manifest(r.dir);
    const base = readFileSync(join(r.dir, 'appendonlydir', m.base));
    const incr = readFileSync(join(r.dir, 'appendonlydir', m.incr));
    if (base.subarray(0, 5).toString() !== 'REDIS') throw new Error(`AOF base ${m.base} is not an RDB preamble`);
    // The single-file form Redis 4-6 wrote (and 7's base + incr concatenated): RDB preamble, then commands.
    writeAtomic(join(FIXTURES, 'aof-preamble.aof'), Buffer.concat([base, incr]));
    writeAtomic(join(FIXTURES, 'aof-preamble.expected.json'), jsonLines({
      comment: 'Read back from the server (scripts/make-fixtures.ts). preambleKeys: the RDB part; afterReplay: after the command tail.',
      server: await rb.serverVersion(),
      preambleBytes: base.length,
      tailBytes: incr.length,
      preambleKeys,
      afterReplay,
    }));
    log(`aof-preamble.aof: ${base.length} byte RDB preamble (${preambleKeys.length} keys) + ${incr.length} byte command tail`);
  } finally {
    await rb.close();
    await r.stop();
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--only');
  const only = i >= 0 ? process.argv[i + 1] : null;
  mkdirSync(FIXTURES, { recursive: true });
  if (!only || only === 'all-encodings') await allEncodings();
  if (!only || only === 'sample') await sample();
  if (!only || only === 'aof') await aof();
  if (!only || only === 'lfu') await lfu();
}

main().catch((err: unknown) => {
  process.stderr.write(`make-fixtures: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
