/**
 * Acceptance test of the memory estimator against a real redis-server 7.0: build a dataset covering every type,
 * encoding and limit, record `MEMORY USAGE key SAMPLES 0` for each key, SAVE, parse the dump with the decoder and
 * the estimator, and compare per key, in total and per encoding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, haveRedisServer } from './helpers/redis.js';
import { MemoryEstimator } from '../src/memory/index.js';
import { tee } from '../src/decode/tee.js';
import { parseFile } from '../src/decode/index.js';
import { rng } from './helpers/random.ts';
import type { KeyRecord, RdbHandler } from '../src/decode/model.js';


const rand = rng(20240601);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const str = (n: number): string => {
  let s = '';
  while (s.length < n) s += rand().toString(36).slice(2);
  return s.slice(0, n);
};

async function buildDataset(r: Redis): Promise<void> {
  let p = r.pipeline();
  const flush = async (): Promise<void> => { await p.exec(); p = r.pipeline(); };
  // Strings: every length around the embstr limit (44/45), random ones, TTLs, integers in/out of the shared range.
  for (let len = 0; len <= 120; len++) p.set(`str:len:${len}`, 'v'.repeat(len));
  for (let i = 0; i < 1500; i++) {
    const k = `str:rand:${str(int(3, 60))}:${i}`;
    p.set(k, str(int(1, 400)));
    if (i % 5 === 0) p.pexpire(k, 3_600_000 + i);
  }
  const ints = ['0', '1', '9999', '10000', '-1', '-9999', '12345', '4294967296', '9223372036854775807',
    '9223372036854775808', '-9223372036854775808', '007', '+5', '-0', '1e5', '12 '];
  ints.forEach((v, i) => p.set(`int:edge:${i}`, v));
  for (let i = 0; i < 300; i++) p.set(`int:rand:${i}`, String(int(-1e6, 1e12)));
  await flush();
  // Big strings one command at a time (the >= 32 KiB argument path reuses the query buffer).
  for (const n of [500, 1000, 4000, 10000, 16384, 32767, 32768, 40000, 100000, 300000]) await r.set(`str:big:${n}`, str(n));

  // Lists (all quicklist on 7.0): small, around the 8 KiB node limit, big items, and a long one.
  for (let i = 0; i < 150; i++) p.rpush(`list:small:${i}`, ...Array.from({ length: int(1, 30) }, () => str(int(1, 40))));
  for (const n of [78, 79, 80, 81, 160, 161]) p.rpush(`list:node:${n}`, ...Array.from({ length: n }, () => 'x'.repeat(100)));
  p.rpush('list:bigitems', ...Array.from({ length: 5 }, () => str(10000)));
  p.rpush('list:ints', ...Array.from({ length: 3000 }, () => String(int(-1e9, 1e9))));
  for (let b = 0; b < 100; b++) p.rpush('list:long', ...Array.from({ length: 1000 }, () => str(int(1, 20))));
  await flush();

  // Hashes: listpack limits (128 entries / 64-byte values), random small ones, big hash tables.
  const fields = (n: number, vlen: () => number): string[] => Array.from({ length: n }, (_, i) => [`f${i}`, str(vlen())]).flat();
  p.hset('hash:lp:128', ...fields(128, () => 8));
  p.hset('hash:ht:129', ...fields(129, () => 8));
  p.hset('hash:lp:val64', 'a', 'x'.repeat(64), 'b', '1');
  p.hset('hash:ht:val65', 'a', 'x'.repeat(65), 'b', '1');
  for (let i = 0; i < 300; i++) p.hset(`hash:small:${i}`, ...fields(int(1, 100), () => int(1, 50)));
  for (let i = 0; i < 20; i++) p.hset(`hash:mid:${i}`, ...fields(int(130, 3000), () => int(1, 120)));
  for (const n of [1000, 5000, 30000]) {
    for (let b = 0; b < n; b += 500) p.hset(`hash:big:${n}`, ...fields(Math.min(500, n - b), () => int(1, 80)).map((v, j) => (j % 2 === 0 ? `${v}:${b}` : v)));
    await flush();
  }
  await flush();

  // Sets: intsets of 16/32/64-bit members, the 512-entry limit, string sets of many sizes.
  p.sadd('set:int:512', ...Array.from({ length: 512 }, (_, i) => String(i * 3)));
  p.sadd('set:ht:513', ...Array.from({ length: 513 }, (_, i) => String(i * 3)));
  p.sadd('set:int:wide', ...Array.from({ length: 100 }, () => String(int(-1e12, 1e12))));
  for (let i = 0; i < 100; i++) p.sadd(`set:int:${i}`, ...Array.from({ length: int(1, 400) }, () => String(int(0, 60000))));
  for (let i = 0; i < 150; i++) p.sadd(`set:str:${i}`, ...Array.from({ length: int(1, 1500) }, () => str(int(1, 40))));
  for (let b = 0; b < 40; b++) p.sadd('set:big', ...Array.from({ length: 500 }, () => str(int(5, 30))));
  await flush();

  // Sorted sets: listpack limits, small ones, and 100 k members.
  const members = (n: number, mlen: () => number): Array<string | number> => Array.from({ length: n }, (_, i) => [rand() * 1000, `${str(mlen())}${i}`]).flat();
  p.zadd('zset:lp:128', ...members(128, () => 5));
  p.zadd('zset:sl:129', ...members(129, () => 5));
  p.zadd('zset:lp:m64', 1, 'x'.repeat(64));
  p.zadd('zset:sl:m65', 1, 'x'.repeat(65));
  for (let i = 0; i < 200; i++) p.zadd(`zset:small:${i}`, ...members(int(1, 120), () => int(1, 30)));
  for (let i = 0; i < 20; i++) p.zadd(`zset:mid:${i}`, ...members(int(130, 4000), () => int(1, 30)));
  for (let b = 0; b < 100; b++) p.zadd('zset:big', ...members(1000, () => int(3, 20)));
  await flush();

  // Streams: small, big, with consumer groups, consumers and pending entries; one with TTL.
  for (let i = 0; i < 5; i++) p.xadd('stream:small', '*', 'a', String(i), 'b', str(10));
  for (let i = 0; i < 5000; i++) p.xadd('stream:big', '*', 'user', String(int(1, 1e6)), 'event', str(int(5, 40)));
  await flush();
  for (let i = 0; i < 2000; i++) p.xadd('stream:groups', '*', 'k', String(i), 'payload', str(30));
  p.xgroup('CREATE', 'stream:groups', 'g1', '0');
  p.xgroup('CREATE', 'stream:groups', 'g2', '0');
  p.xgroup('CREATE', 'stream:groups', 'g3', '$');
  p.xreadgroup('GROUP', 'g1', 'consumer-one', 'COUNT', '300', 'STREAMS', 'stream:groups', '>');
  p.xreadgroup('GROUP', 'g1', 'c2', 'COUNT', '200', 'STREAMS', 'stream:groups', '>');
  p.xreadgroup('GROUP', 'g2', 'worker', 'COUNT', '50', 'STREAMS', 'stream:groups', '>');
  p.xadd('stream:ttl', '*', 'x', '1');
  p.expire('stream:ttl', 10000);
  await flush();
  const pending = (await r.xrange('stream:groups', '-', '+', 'COUNT', 150)).map(([id]) => id);
  await r.xack('stream:groups', 'g1', ...pending.slice(0, 150).filter((_, i) => i % 2 === 0));
}

interface Row { key: string; enc: string; truth: number; est: number }

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

test('memory estimator matches MEMORY USAGE on redis-server 7.0', { skip: haveRedisServer() ? false : 'redis-server absent', timeout: 120_000 }, async (t) => {
  const srv = await startRedis();
  const r = new Redis(srv.port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 });
  try {
    await buildDataset(r);
    const keys = await r.keys('*');
    const truth = new Map<string, number>();
    for (let i = 0; i < keys.length; i += 2000) {
      const p = r.pipeline();
      for (const k of keys.slice(i, i + 2000)) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
      const res = await p.exec();
      keys.slice(i, i + 2000).forEach((k, j) => truth.set(k, Number(res![j]![1])));
    }
    const path = srv.save();
    const est = new MemoryEstimator({ allocator: 'system' }); // Debian's package links the system jemalloc
    const rows: Row[] = [];
    const collect: RdbHandler = {
      endKey(rec: KeyRecord): void {
        const key = Buffer.from(rec.key).toString('latin1');
        rows.push({ key, enc: `${rec.type}/${rec.encoding}`, truth: truth.get(key) ?? NaN, est: est.lastKeyBytes });
      },
    };
    parseFile(path, tee(est, collect));
    const totals = est.totals();
    assert.equal(est.model, 'redis-7.0');
    assert.equal(est.verified, true);
    assert.equal(rows.length, keys.length);
    assert.equal(totals.keys, keys.length);
    for (const row of rows) assert.ok(Number.isFinite(row.truth), `no MEMORY USAGE for ${row.key}`);

    const errs = rows.map((x) => Math.abs(x.est - x.truth) / x.truth);
    const median = quantile(errs, 0.5);
    const p90 = quantile(errs, 0.9);
    const sumT = rows.reduce((a, x) => a + x.truth, 0);
    const sumE = rows.reduce((a, x) => a + x.est, 0);
    const byEnc = new Map<string, { keys: number; truth: number; est: number }>();
    for (const x of rows) {
      const e = byEnc.get(x.enc) ?? { keys: 0, truth: 0, est: 0 };
      e.keys++; e.truth += x.truth; e.est += x.est;
      byEnc.set(x.enc, e);
    }
    const lines = ['| type/encoding | keys | true bytes | estimated bytes | error |', '|---|---:|---:|---:|---:|'];
    for (const [enc, e] of [...byEnc].sort()) {
      lines.push(`| ${enc} | ${e.keys} | ${e.truth} | ${e.est} | ${(((e.est - e.truth) / e.truth) * 100).toFixed(2)} % |`);
    }
    lines.push(`| **all** | ${rows.length} | ${sumT} | ${sumE} | ${(((sumE - sumT) / sumT) * 100).toFixed(2)} % |`);
    t.diagnostic(`\n${lines.join('\n')}\nper-key abs error: median ${(median * 100).toFixed(3)} %, p90 ${(p90 * 100).toFixed(3)} %, ` +
      `max ${(Math.max(...errs) * 100).toFixed(2)} %\ntotals: ${JSON.stringify(totals)}`);
    const worst = rows.map((x, i) => ({ ...x, err: errs[i]! })).sort((a, b) => b.err - a.err).slice(0, 12);
    t.diagnostic(`worst keys:\n${worst.map((w) => `${w.key} ${w.enc} true=${w.truth} est=${w.est} ${(w.err * 100).toFixed(2)}%`).join('\n')}`);

    assert.ok(median <= 0.01, `median per-key error ${median}`);
    assert.ok(p90 <= 0.03, `p90 per-key error ${p90}`);
    assert.ok(Math.abs(sumE - sumT) / sumT <= 0.01, `total error ${(sumE - sumT) / sumT}`);
    for (const [enc, e] of byEnc) {
      const limit = enc.startsWith('stream') ? 0.10 : 0.02;
      assert.ok(Math.abs(e.est - e.truth) / e.truth <= limit, `${enc}: estimated ${e.est} vs true ${e.truth}`);
    }
    assert.ok(totals.usedMem !== null && totals.usedMem > totals.datasetBytes, 'used-mem aux covers the dataset');
  } finally {
    r.disconnect();
    await srv.stop();
  }
});
