/**
 * Unit tests of the memory model's building blocks against numbers derived from the server sources
 * (jemalloc size classes, sds headers, dict growth, listpack entries, rax node counts, struct sums), plus a live
 * check of the rax node counter and the struct constants against redis-server 7.0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { sizeClassSystem as sizeClass, sizeClassBundled, expectedLevelAlloc } from '../src/memory/jemalloc.js';
import { sdsAlloc, dictBuckets, dictSlotsGrown, lpStringEntry, lpIntEntry, streamRaxUsage, decimalLength } from '../src/memory/cost.js';
import { RaxCounter } from '../src/memory/rax.js';
import { isIntEncodable } from '../src/memory/value.js';
import { MemoryEstimator, chooseModel } from '../src/memory/index.js';
import type { KeyRecord } from '../src/decode/model.js';
import { startRedis, haveRedisServer } from './helpers/redis.js';

test('jemalloc size classes', () => {
  const cases: Array<[number, number]> = [[1, 8], [8, 8], [9, 16], [17, 32], [33, 48], [64, 64], [65, 80], [128, 128],
    [129, 160], [257, 320], [536, 640], [4096, 4096], [4097, 5120], [14337, 16384], [16385, 20480], [32771, 40960],
    [100009, 114688], [1 << 20, 1 << 20], [(1 << 20) + 1, 1310720]];
  for (const [n, want] of cases) assert.equal(sizeClass(n), want, `sizeClass(${n})`);
  // Never smaller than asked, idempotent on class sizes.
  for (let n = 1; n < 70000; n += 7) { const c = sizeClass(n); assert.ok(c >= n); assert.equal(sizeClass(c), c); }
});

test('jemalloc size classes of the bundled build (8-byte quantum): 24, 40 and 56 exist, the rest is the same', () => {
  const cases: Array<[number, number]> = [[1, 8], [9, 16], [17, 24], [25, 32], [33, 40], [41, 48], [49, 56], [57, 64],
    [65, 80], [129, 160], [4097, 5120]];
  for (const [n, want] of cases) assert.equal(sizeClassBundled(n), want, `sizeClassBundled(${n})`);
  for (let n = 65; n < 70000; n += 7) assert.equal(sizeClassBundled(n), sizeClass(n), `${n}`);
});

test('sds allocations follow sdsReqType headers', () => {
  assert.equal(sdsAlloc(0, sizeClass), 8); // type 5: 1 + 0 + 1
  assert.equal(sdsAlloc(30, sizeClass), 32); // 1 + 30 + 1
  assert.equal(sdsAlloc(31, sizeClass), 48); // type 5 still: 1 + 31 + 1 = 33
  assert.equal(sdsAlloc(32, sizeClass), 48); // sdshdr8: 3 + 32 + 1 = 36
  assert.equal(sdsAlloc(255, sizeClass), 320); // 3 + 255 + 1 = 259
  assert.equal(sdsAlloc(256, sizeClass), 320); // sdshdr16: 5 + 256 + 1 = 262
  assert.equal(sdsAlloc(65536, sizeClass), 81920); // sdshdr32: 9 + 65536 + 1
});

test('dict bucket arrays: expected size and the rehash window', () => {
  assert.deepEqual([1, 4, 5, 8, 9, 1024, 1025].map(dictBuckets), [4, 4, 8, 8, 16, 1024, 2048]);
  // SADD one at a time: expansion to 2048 at the 1025th insert, ~647 one-step inserts to move 1024 buckets.
  assert.equal(dictSlotsGrown(1100, 1), 2048 + 1024);
  assert.equal(dictSlotsGrown(1700, 1), 2048);
  // HSET does two steps per insert: done twice as fast.
  assert.equal(dictSlotsGrown(1400, 2), 2048);
  // Presized at conversion (129 -> 256 buckets): no rehash until 257.
  assert.equal(dictSlotsGrown(200, 2, 129), 256);
  assert.equal(dictSlotsGrown(260, 2, 129), 512 + 256);
});

test('listpack entry sizes', () => {
  assert.equal(lpStringEntry(1), 3); // 6-bit string header + 1 + backlen 1
  assert.equal(lpStringEntry(63), 65);
  assert.equal(lpStringEntry(64), 67); // 12-bit header: 2 + 64 + backlen 1
  assert.equal(lpStringEntry(200), 204); // 2 + 200 = 202 >= 128: backlen 2
  assert.equal(lpStringEntry(5000), 5007); // 32-bit header 5 + 5000, backlen 2
  assert.deepEqual([0, 127, 128, -1, 4095, 4096, 40000, 1e10].map(lpIntEntry), [2, 2, 3, 3, 3, 4, 5, 10]);
});

test('integer-encodable strings follow string2ll', () => {
  const enc = (s: string): boolean => isIntEncodable(new TextEncoder().encode(s), s.length);
  for (const s of ['0', '-1', '9999', '10000', '9223372036854775807', '-9223372036854775808']) assert.ok(enc(s), s);
  for (const s of ['', '-', '007', '-0', '+5', '1e5', ' 1', '9223372036854775808', '-9223372036854775809', '1.5']) assert.ok(!enc(s), s);
  assert.equal(isIntEncodable(42, 2), true);
  assert.deepEqual([0, 9, 10, -10, 123456].map((v) => decimalLength(v)), [1, 1, 2, 3, 6]);
});

test('skiplist node expectation and stream rax usage', () => {
  // P(L=1) = 3/4 -> 24+16 = 40 -> 48; L=2 (3/16) -> 56 -> 64; bounded by the all-levels node.
  const e = expectedLevelAlloc(sizeClass, 24, 16, 0.25, 32);
  assert.ok(e > 48 + 0.25 * 16 && e < 60, String(e));
  // object.c streamRadixTreeMemoryUsage: numele * 16 + numnodes * (4 + 240); empty rax = root only.
  assert.equal(streamRaxUsage(0, 1), 244);
  assert.equal(streamRaxUsage(1, 2), 16 + 488);
});

test('rax node counter on known shapes', () => {
  const c = new RaxCounter();
  c.add(1000n, 0n);
  assert.equal(c.nodes, 2); // compressed root + leaf
  c.add(1000n, 1n);
  assert.equal(c.nodes, 4); // root, branching node at byte 15, two leaves
  c.add(1000n, 2n);
  assert.equal(c.nodes, 5);
  c.reset();
  c.add(0x0100n, 0n);
  c.add(0x0200n, 0n); // differ at byte 6: root, branch, 2 x (compressed run + leaf)
  assert.equal(c.nodes, 6);
});

test('chooseModel from aux fields and RDB version', () => {
  const aux = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
  assert.equal(chooseModel('REDIS', 10, aux({ 'redis-ver': '7.0.15' })), 'redis-7.0');
  assert.equal(chooseModel('REDIS', 11, aux({ 'redis-ver': '7.2.4' })), 'redis-7.2');
  assert.equal(chooseModel('REDIS', 12, aux({ 'redis-ver': '7.4.1' })), 'redis-7.4');
  assert.equal(chooseModel('REDIS', 9, aux({ 'redis-ver': '6.2.14' })), 'redis-6.2');
  assert.equal(chooseModel('REDIS', 12, aux({ 'redis-ver': '8.0.2' })), 'redis-8');
  assert.equal(chooseModel('REDIS', 11, aux({ 'redis-ver': '7.2.4', 'valkey-ver': '8.0.1' })), 'valkey-8.0');
  assert.equal(chooseModel('REDIS', 11, aux({ 'valkey-ver': '8.1.0' })), 'valkey-8.1');
  assert.equal(chooseModel('VALKEY', 80, aux({})), 'valkey-9');
  assert.equal(chooseModel('REDIS', 10, aux({})), 'redis-7.0');
  assert.equal(chooseModel('REDIS', 7, aux({})), 'redis-6.2');
  assert.equal(new MemoryEstimator({ model: 'valkey-8.1' }).verified, true);
  const newer = new MemoryEstimator();
  newer.aux('redis-ver', new TextEncoder().encode('8.4.0'));
  newer.end({} as never);
  assert.equal(newer.model, 'redis-8.6');
  assert.equal(newer.verified, false, 'Redis 8.2 and 8.4 were not checked, only 8.0 and 8.6');
  assert.equal(chooseModel('REDIS', 13, aux({ 'redis-ver': '8.6.3' })), 'redis-8.6');
  assert.equal(new MemoryEstimator().verified, true);
});

test('estimator sums one key from callbacks (embstr, key sds, dictEntry)', () => {
  const est = new MemoryEstimator({ model: 'redis-7.0' });
  const key = new TextEncoder().encode('k1');
  const h = { db: 0, key, rdbType: 0, type: 'string' as const, expiresAtMs: null, idleS: null, freq: null, offset: 0 };
  est.beginKey(h);
  est.stringValue(44, new Uint8Array(44).fill(120));
  const rec: KeyRecord = { ...h, encoding: 'embstr', length: 44, rdbBytes: 50, largestElement: 44, fieldTtls: 0,
    minFieldExpiresAtMs: null, moduleName: null, scoreMin: null, scoreMax: null };
  est.endKey(rec);
  assert.equal(est.lastKeyBytes, 96); // key sds 8 + dictEntry 24 + embstr robj class(16 + 3 + 44 + 1) = 64
  assert.equal(est.totals().keys, 1);
});

test('struct constants and rax counts match MEMORY USAGE on redis 7.0', { skip: haveRedisServer() ? false : 'redis-server absent' }, async () => {
  const srv = await startRedis();
  const r = new Redis(srv.port, '127.0.0.1');
  const usage = async (k: string): Promise<number> => Number(await r.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  try {
    await r.rpush('l1', 'a');
    assert.equal(await usage('l1'), 8 + 24 + 16 + 40 + 40 + 16); // key, entry, robj, quicklist, node, listpack
    await r.sadd('s1', 'abc', 'def');
    assert.equal(await usage('s1'), 8 + 24 + 16 + 56 + 4 * 8 + 2 * (24 + 8));
    // PEL rax: ~1 node per ID within one millisecond, ~2 when IDs differ in their ms part.
    for (const gap of [0, 2, 5]) {
      const key = `s:${gap}`;
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push(`${1700000000000 + (gap ? i * gap + (i % 2) : 0)}-${gap ? 0 : i + 1}`);
      for (const id of ids) await r.xadd(key, id, 'f', 'v');
      await r.xgroup('CREATE', key, 'g', '0');
      const before = await usage(key);
      await r.xreadgroup('GROUP', 'g', 'c', 'COUNT', '200', 'STREAMS', key, '>');
      const counter = new RaxCounter();
      for (const id of ids.slice(0, 200)) { const [ms, seq] = id.split('-'); counter.add(BigInt(ms!), BigInt(seq!)); }
      // The empty group PEL (root only) is replaced by the real one; the consumer PEL holds the same IDs.
      const want = before - 244 + 2 * streamRaxUsage(200, counter.nodes) + 24 * 200 + 24 + 1;
      assert.equal(await usage(key), want, `gap ${gap}`);
    }
  } finally {
    r.disconnect();
    await srv.stop();
  }
});

test('every model sizes every type to a positive integer', async () => {
  const { MODEL_NAMES } = await import('../src/memory/layout.js');
  const b = new Uint8Array(10).fill(97);
  for (const model of MODEL_NAMES) {
    const est = new MemoryEstimator({ model });
    const types = ['string', 'list', 'set', 'zset', 'hash', 'stream'] as const;
    for (const type of types) {
      const h = { db: 0, key: b, rdbType: 0, type, expiresAtMs: 1, idleS: null, freq: null, offset: 0 };
      est.beginKey(h);
      if (type === 'string') est.stringValue(100, null);
      if (type === 'list') est.quicklistNode('packed', 300, 10, 300);
      if (type === 'set') for (let i = 0; i < 600; i++) est.setMember(b);
      if (type === 'zset') for (let i = 0; i < 200; i++) est.zsetMember(b, i);
      if (type === 'hash') est.blob('listpack', 100, 4);
      if (type === 'stream') est.streamNode(500, 5, 0, 2);
      est.endKey({ ...h, encoding: '', length: 1, rdbBytes: 1, largestElement: 1, fieldTtls: 0, minFieldExpiresAtMs: null, moduleName: null, scoreMin: null, scoreMax: null });
      assert.ok(Number.isInteger(est.lastKeyBytes) && est.lastKeyBytes > 0, `${model} ${type}: ${est.lastKeyBytes}`);
    }
    assert.equal(est.model, model);
    assert.equal(est.totals().expiresDictBytes > 0, true);
  }
});
