/**
 * Code oracles: values that the corpus sources assert in their own tests (ORACLES.md section B), checked against
 * our decode: redis-rdb-tools tests/parser_tests.py, kvrocks rdb_test.cc, redis-replicator ClusterSlotTest /
 * FunctionTest / LruLfuTest, redis corrupt-dump.tcl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusFile, corpusSkip } from './helpers/corpus.js';
import { decodeFile, type CollectedKey, type Decoded } from './helpers/collect.js';

const s = (b: Uint8Array | null | undefined): string | undefined => (b ? Buffer.from(b).toString('latin1') : undefined);
const cache = new Map<string, Decoded>();
function load(rel: string): Decoded {
  let d = cache.get(rel);
  if (!d) { d = decodeFile(corpusFile(rel)); cache.set(rel, d); }
  return d;
}
function key(rel: string, name: string, db?: number): CollectedKey {
  const k = load(rel).result.keys.find((x) => s(x.record.key) === name && (db === undefined || x.record.db === db));
  assert.ok(k, `${rel}: key ${name} not decoded`);
  return k;
}
const hashObj = (k: CollectedKey): Record<string, string> => Object.fromEntries(k.hash.map(([f, v]) => [s(f)!, s(v)!]));
const R = 'sripathikrishnan-redis-rdb-tools/';
const opt = corpusSkip();

test('rdb-tools: strings, databases, expiry, integer and compressed keys', opt, () => {
  assert.equal(s(key(`${R}multiple_databases.rdb`, 'key_in_zeroth_database', 0).str), 'zero');
  assert.equal(s(key(`${R}multiple_databases.rdb`, 'key_in_second_database', 2).str), 'second');
  assert.ok(!load(`${R}multiple_databases.rdb`).result.keys.some((k) => k.record.db === 1));
  assert.equal(key(`${R}keys_with_expiry.rdb`, 'expires_ms_precision').record.expiresAtMs, Date.UTC(2022, 11, 25, 10, 11, 12, 573));
  const ints: Array<[number, string]> = [[125, 'Positive 8 bit integer'], [0xabab, 'Positive 16 bit integer'],
    [0x0aedd325, 'Positive 32 bit integer'], [-123, 'Negative 8 bit integer'], [-0x7325, 'Negative 16 bit integer'],
    [-0x0aedd325, 'Negative 32 bit integer']];
  for (const [k, v] of ints) assert.equal(s(key(`${R}integer_keys.rdb`, String(k)).str), v);
  assert.equal(s(key(`${R}easily_compressible_string_key.rdb`, 'a'.repeat(200)).str), 'Key that redis should compress easily');
  const v5 = { abcd: 'efgh', foo: 'bar', bar: 'baz', abcdef: 'abcdef', longerstring: 'thisisalongerstring.idontknowwhatitmeans' };
  for (const [k, v] of Object.entries(v5)) assert.equal(s(key(`${R}rdb_version_5_with_checksum.rdb`, k).str), v);
  assert.equal(s(key(`${R}parser_filters.rdb`, 'k1').str), 'ssssssss');
  assert.equal(s(key(`${R}parser_filters.rdb`, 'k3').str), 'wwwwwwww');
});

test('rdb-tools: hashes (zipmap, ziplist, dictionary)', opt, () => {
  const easy = { a: 'aa', aa: 'aaaa', aaaaa: 'aaaaaaaaaaaaaa' };
  assert.deepEqual(hashObj(key(`${R}zipmap_that_compresses_easily.rdb`, 'zipmap_compresses_easily')), easy);
  assert.deepEqual(hashObj(key(`${R}hash_as_ziplist.rdb`, 'zipmap_compresses_easily')), easy);
  assert.deepEqual(hashObj(key(`${R}zipmap_that_doesnt_compress.rdb`, 'zimap_doesnt_compress')), { MKD1G6: '2', YNNXK: 'F7TI' });
  const dict = key(`${R}dictionary.rdb`, 'force_dictionary');
  assert.equal(dict.hash.length, 1000);
  const h = hashObj(dict);
  assert.equal(h.ZMU5WEJDG7KU89AOG5LJT6K7HMNB3DEI43M6EYTJ83VRJ6XNXQ, 'T63SOS8DQJF0Q0VJEZ0D1IQFCYTIPSBOUIAI9SB0OV57MQR1FI');
  assert.equal(h.UHS5ESW4HLK8XOGTM39IK1SJEUGVV9WOPK6JYA5QBZSJU84491, '6VULTCV52FXJ8MGVSFTZVAGK2JXZMGQ5F8OVJI0X6GEDDR27RZ');
});

test('rdb-tools: lists, sets, sorted sets', opt, () => {
  assert.deepEqual(key(`${R}ziplist_that_compresses_easily.rdb`, 'ziplist_compresses_easily').list.map(s),
    [6, 12, 18, 24, 30, 36].map((n) => 'a'.repeat(n)));
  assert.deepEqual(key(`${R}ziplist_that_doesnt_compress.rdb`, 'ziplist_doesnt_compress').list.map(s),
    ['aj2410', 'cc953a17a8e096e76a44169ad3f9ac87c5f8248a403274416179aa9fbd852344']);
  const ll = key(`${R}linkedlist.rdb`, 'force_linkedlist').list.map(s);
  assert.equal(ll.length, 1000);
  assert.ok(ll.includes('JYY4GIFI0ETHKP4VAJF5333082J4R1UPNPLE329YT0EYPGHSJQ'));
  assert.ok(ll.includes('TKBXHJOX9Q99ICF4V78XTCA2Y1UYW6ERL35JCIL1O0KSGXS58S'));
  const sorted = (k: CollectedKey): string[] => k.set.map((b) => s(b)!).sort();
  assert.deepEqual(sorted(key(`${R}intset_16.rdb`, 'intset_16')), ['32764', '32765', '32766']);
  assert.deepEqual(sorted(key(`${R}intset_32.rdb`, 'intset_32')), ['2147418108', '2147418109', '2147418110']);
  assert.deepEqual(sorted(key(`${R}intset_64.rdb`, 'intset_64')),
    ['9223090557583032316', '9223090557583032317', '9223090557583032318']);
  assert.deepEqual(key(`${R}sorted_set_as_ziplist.rdb`, 'sorted_set_as_ziplist').zset.map(([m, sc]) => [s(m), sc]),
    [['8b6ba6718a786daefa69438148361901', 1], ['cb7a24bb7528f934b841b34c3a73e0c7', 2.37], ['523af537946b79c4f8369ed39ba78605', 3.423]]);
  const big = key(`${R}rdb_version_8_with_64b_length_and_scores.rdb`, 'bigset');
  assert.equal(big.zset.length, 1000);
  assert.equal(big.zset.find(([m]) => s(m) === 'finalfield')?.[1], 2.718);
  assert.equal(s(key(`${R}rdb_version_8_with_64b_length_and_scores.rdb`, 'foo').str), 'bar');
  const mod = key(`${R}redis_40_with_module.rdb`, 'foo');
  assert.equal(mod.record.type, 'module');
  assert.equal(mod.record.moduleName, 'ReJSON-RL');
});

test('kvrocks / redis tests: hash-zipmap, hash-ziplist, list-quicklist', opt, () => {
  assert.deepEqual(hashObj(key('redis-redis/hash-zipmap.rdb', 'hash')), { f1: 'v1', f2: 'v2' });
  assert.deepEqual(hashObj(key('redis-redis/hash-ziplist.rdb', 'hash')), { f1: 'v1', f2: 'v2' });
  assert.deepEqual(key('redis-redis/list-quicklist.rdb', 'list').list.map(s), ['7']);
  assert.equal(s(key('redis-redis/list-quicklist.rdb', 'x').str), '7');
});

test('redis corrupt-dump.tcl: the empty keys of corrupt_empty_keys.rdb are absent or reported empty', opt, () => {
  const names = ['set', 'hash', 'list_ziplist', 'zset', 'zset_listpack', 'hash_ziplist', 'list_quicklist', 'zset_ziplist',
    'list_quicklist_empty_ziplist'];
  const d = load('redis-redis/corrupt_empty_keys.rdb');
  for (const k of d.result.keys) {
    assert.ok(names.includes(s(k.record.key)!), `unexpected key ${s(k.record.key)}`);
    assert.equal(k.record.length, 0);
  }
});

/** Redis Cluster key slot: CRC16/XMODEM of the hash tag (or the key) mod 16384. */
function keySlot(k: Buffer): number {
  const open = k.indexOf('{');
  const close = open >= 0 ? k.indexOf('}', open + 1) : -1;
  const part = open >= 0 && close > open + 1 ? k.subarray(open + 1, close) : k;
  let crc = 0;
  for (const b of part) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

test('redis-replicator: slot info, functions, LRU idle', opt, () => {
  const slot = load('leonchen83-redis-replicator/dump-slot.rdb');
  assert.equal(slot.summary.keys, 5);
  assert.deepEqual(slot.result.slotInfo.map(([sl, n, e]) => [sl, n, e]).sort((a, b) => a[0]! - b[0]!),
    [[98, 1, 0], [230, 1, 0], [4163, 1, 0], [4772, 2, 0]]);
  for (const k of slot.result.keys) {
    const sl = keySlot(Buffer.from(k.record.key));
    assert.ok(slot.result.slotInfo.some(([x]) => x === sl), `key ${s(k.record.key)} hashes to slot ${sl}`);
  }
  const f = load('leonchen83-redis-replicator/function.rdb').result.functions;
  assert.deepEqual(f.map((l) => [l.opcode, l.name, l.engine?.toUpperCase(), s(l.code)]).sort(), [
    ['function-pre-ga', 'lib1', 'LUA', "local function test1() return 1 end redis.register_function('test1', test1)"],
    ['function-pre-ga', 'lib2', 'LUA', "local function test2() return 2 end redis.register_function('test2', test2)"],
  ]);
  const f2 = load('leonchen83-redis-replicator/function2.rdb').result.functions;
  assert.deepEqual(f2.map((l) => [l.opcode, l.name, s(l.code)]), [['function2', 'mylib',
    "#!lua name=mylib \n redis.register_function('myfunc', function(keys, args) return args[1] end)"]]);
  const lru = load('leonchen83-redis-replicator/dump-lru.rdb');
  assert.deepEqual(lru.result.keys.map((k) => [k.record.expiresAtMs, k.record.idleS]).sort(),
    [[1528592665231, 4], [null, 1914611]].sort());
});
