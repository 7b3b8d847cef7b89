/**
 * Format cases that no corpus file covers, built byte by byte from the published format (redis rdb.c/rdb.h,
 * librdb cc8dd3b for RDB 13, Valkey 9 for hash2): RDB 1, KEY_META (243), stream type 26 with IDMP, Valkey hash2,
 * binary keys, integer and LZF strings, lying lengths, unknown types and opcodes, checksums, module values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc64, encLzfStr, listpack, OP, RdbWriter } from './helpers/rdbWriter.js';
import { decodeChunks, rdbErrorProblem, type Decoded } from './helpers/collect.js';

const decode = (b: Uint8Array, opts: { checksum?: boolean } = {}): Decoded => decodeChunks([b], 'case.rdb', opts);

/** Asserts a clean refusal and returns its message. */
function refused(b: Uint8Array, re?: RegExp, opts: { checksum?: boolean } = {}): string {
  let err: unknown = null;
  try {
    const d = decode(b, opts);
    assert.fail(`decoded ${d.summary.keys} keys, expected a refusal`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const problem = rdbErrorProblem(err, b.length, 'case.rdb');
  assert.equal(problem, null, problem ?? '');
  const msg = (err as Error).message;
  if (re) assert.match(msg, re);
  return msg;
}

const text = (b: Buffer | null): string | undefined => b?.toString('latin1');

test('crc64 helper matches the Redis test vector', () => {
  assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
});

test('RDB version 1: strings, list, set, zset with ASCII scores; no checksum', () => {
  const w = new RdbWriter('REDIS', 1).selectDb(0);
  w.key(0, 'k').str('v');
  w.key(1, 'l').len(2).str('a').intStr(-5);
  w.key(2, 's').len(1).str('m');
  w.key(3, 'z').len(3).str('x').byte(3).raw('1.5').str('p').byte(254).str('n').byte(255); // 254 +inf, 255 -inf
  const d = decode(w.end('none'));
  assert.equal(d.summary.version, 1);
  assert.equal(d.summary.checksum, 'absent');
  const [k, l, s, z] = d.result.keys;
  assert.equal(text(k!.str), 'v');
  assert.deepEqual(l!.list.map((b) => b.toString()), ['a', '-5']);
  assert.deepEqual(s!.set.map((b) => b.toString()), ['m']);
  assert.deepEqual(z!.zset.map(([m, sc]) => [m.toString(), sc]), [['x', 1.5], ['p', Infinity], ['n', -Infinity]]);
});

test('integer, LZF and long-length strings; expiry in s and ms; IDLE and FREQ', () => {
  const big = 'ab'.repeat(100) + 'z'.repeat(300);
  const w = new RdbWriter('REDIS', 9).aux('redis-ver', '5.0.0').selectDb(3).resizeDb(5, 2);
  w.expireS(1700000000).key(0, 'i8').intStr(-100);
  w.expireMs(1700000000123).idle(77).key(0, 'i16').intStr(30000);
  w.freq(9).key(0, 'i32').intStr(-2000000000);
  w.key(0, 'lzf').lzfStr(big);
  w.byte(0).raw(encLzfStr('key-key-key-kkkkkkkkkkkkkkkkkkkk')).len(3, 32).raw('x64');
  const d = decode(w.end());
  assert.equal(d.summary.checksum, 'ok');
  const v = d.result.keys.map((k) => [text(Buffer.from(k.record.key)), text(k.str), k.record.expiresAtMs, k.record.idleS, k.record.freq, k.record.db]);
  assert.deepEqual(v, [
    ['i8', '-100', 1700000000000, null, null, 3],
    ['i16', '30000', 1700000000123, 77, null, 3],
    ['i32', '-2000000000', null, null, 9, 3],
    ['lzf', big, null, null, null, 3],
    ['key-key-key-kkkkkkkkkkkkkkkkkkkk', 'x64', null, null, null, 3],
  ]);
  assert.equal(d.result.keys[3]!.record.length, big.length);
  assert.equal(text(d.result.aux.get('redis-ver') ?? null), '5.0.0');
});

test('a key and values that are not UTF-8 come back byte for byte', () => {
  const key = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a, 0xc3]);
  const val = Buffer.from([0x00, 0xff, 0x0d, 0x0a]);
  const w = new RdbWriter('REDIS', 9).selectDb(0);
  w.key(0, key).str(val);
  w.key(4, Buffer.from([0xe9])).len(1).str(Buffer.from([0x80])).str(Buffer.from([0xc0, 0xaf]));
  const d = decode(w.end());
  assert.deepEqual(Buffer.from(d.result.keys[0]!.record.key), key);
  assert.deepEqual(d.result.keys[0]!.str, val);
  assert.deepEqual(d.result.keys[1]!.hash, [[Buffer.from([0x80]), Buffer.from([0xc0, 0xaf]), null]]);
});

test('Redis 8.6 KEY_META (243) before a key: classes with module opcodes are skipped, the key is read', () => {
  const spec = [0x01, 0x02, 0x03, 0x04];
  const w = new RdbWriter('REDIS', 13).aux('redis-ver', '8.6.0').selectDb(0);
  // one class: UINT 5, STRING "meta", DOUBLE, FLOAT, SINT, then module EOF (0)
  const f64 = Buffer.alloc(8); f64.writeDoubleLE(2.5);
  const f32 = Buffer.alloc(4); f32.writeFloatLE(1.5);
  // Layout (librdb cc8dd3b): [EXPIRE...] [KEY_META] TYPE KEY VALUE
  w.expireMs(1900000000000);
  w.byte(OP.KEY_META).len(1).raw(spec).len(2).len(5).len(5).str('meta').len(4).raw(f64).len(3).raw(f32).len(1).len(7).len(0);
  w.key(0, 'k1').str('v1');
  // two classes, then a second key after it
  w.byte(OP.KEY_META).len(2).raw(spec).len(2).len(1).len(0).raw([9, 9, 9, 9]).len(0);
  w.key(0, 'k2').str('v2');
  w.key(0, 'k3').str('v3');
  const d = decode(w.end());
  assert.equal(d.summary.version, 13);
  assert.deepEqual(d.result.keys.map((k) => [text(Buffer.from(k.record.key)), text(k.str), k.record.expiresAtMs]),
    [['k1', 'v1', 1900000000000], ['k2', 'v2', null], ['k3', 'v3', null]]);
});

test('KEY_META with an unknown module opcode is refused', () => {
  const w = new RdbWriter('REDIS', 13).selectDb(0);
  w.byte(OP.KEY_META).len(1).raw([1, 2, 3, 4]).len(9).len(0).key(0, 'k').str('v');
  refused(w.end());
});

function streamId(ms: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(ms));
  b.writeBigUInt64BE(BigInt(seq), 8);
  return b;
}

test('stream type 26 (RDB 13) with a group, a PEL, a consumer and IDMP data; the next key is read', () => {
  const ms = 1760000000000;
  // master entry: count 1, deleted 0, 2 fields f1 f2, terminator 0; entry: flags SAMEFIELDS(2), ms-diff 0,
  // seq-diff 0, values v1 v2, lp-count 5
  const lp = listpack([1, 0, 2, 'f1', 'f2', 0, 2, 0, 0, 'v1', 'v2', 5]);
  const w = new RdbWriter('REDIS', 13).selectDb(0);
  w.key(26, 'st').len(1).str(streamId(ms, 0)).str(lp);
  w.len(1).len(ms).len(0); // length, last id
  w.len(ms).len(0).len(0).len(0).len(1); // first id, max deleted id, entries added
  w.len(1).str('g1').len(ms).len(0).len(1); // one group: name, last id, entries read
  w.len(1).raw(streamId(ms, 0)).i64le(ms + 5).len(2); // global PEL: id, delivery time, delivery count
  w.len(1).str('c1').i64le(ms + 6).i64le(ms + 7).len(1).raw(streamId(ms, 0)); // consumer, seen, active, PEL
  w.len(100).len(50).len(2); // IDMP: duration, max entries, producers
  w.str('p1').len(1).str('iid1').len(ms).len(0);
  w.str('p2').len(0);
  w.len(1).len(0); // iids added, duplicates
  w.key(0, 'after').str('ok');
  const d = decode(w.end());
  const [st, after] = d.result.keys;
  assert.equal(st!.record.type, 'stream');
  assert.equal(st!.record.rdbType, 26);
  assert.deepEqual(st!.stream!.entries.map((e) => [e.id, e.fields.map(String)]), [[`${ms}-0`, ['f1', 'v1', 'f2', 'v2']]]);
  assert.equal(st!.stream!.meta!.length, 1);
  assert.equal(st!.stream!.meta!.entriesAdded, 1);
  assert.deepEqual(st!.stream!.groups.map((g) => [text(Buffer.from(g.name)), g.pending, g.consumers, g.entriesRead]), [['g1', 1, 1, 1]]);
  assert.deepEqual(st!.stream!.consumers.map((c) => [text(Buffer.from(c.name)), c.seenTimeMs, c.activeTimeMs, c.pending]), [['c1', ms + 6, ms + 7, 1]]);
  assert.deepEqual(st!.stream!.pending.map((p) => [p.deliveryTimeMs, p.deliveryCount]), [[ms + 5, 2]]);
  assert.equal(text(after!.str), 'ok');
});

test('Valkey hash2 (type 22 in a VALKEY080 file): field expiries as int64 LE ms, -1 for none', () => {
  const w = new RdbWriter('VALKEY', 80).aux('valkey-ver', '9.0.0').selectDb(0);
  w.key(22, 'h').len(3).str('a').str('1').i64le(2000000000000).str('b').str('2').i64le(-1).str('c').str('3').i64le(1990000000000);
  w.key(0, 'next').str('x');
  const d = decode(w.end());
  assert.equal(d.summary.magic, 'VALKEY');
  assert.equal(d.summary.version, 80);
  const h = d.result.keys[0]!;
  assert.equal(h.record.type, 'hash');
  assert.deepEqual(h.hash.map(([f, v, e]) => [f.toString(), v.toString(), e]),
    [['a', '1', 2000000000000], ['b', '2', null], ['c', '3', 1990000000000]]);
  assert.equal(h.record.fieldTtls, 2);
  assert.equal(h.record.minFieldExpiresAtMs, 1990000000000);
  assert.equal(text(d.result.keys[1]!.str), 'x');
});

test('module type 7 (annotated) is skipped with its name; type 6 (4.0 RC) is refused', () => {
  const name = 'testtype1';
  const cs = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let id = 0n;
  for (const ch of name) id = (id << 6n) | BigInt(cs.indexOf(ch));
  id = (id << 10n) | 3n;
  const w = new RdbWriter('REDIS', 9).selectDb(0);
  w.key(7, 'm').len(id, 64).len(2).len(42).len(5).str('payload').len(0);
  w.key(0, 'after').str('ok');
  const d = decode(w.end());
  assert.equal(d.result.keys[0]!.record.type, 'module');
  assert.equal(d.result.keys[0]!.record.moduleName, name);
  assert.equal(text(d.result.keys[1]!.str), 'ok');
  const w6 = new RdbWriter('REDIS', 8).selectDb(0);
  w6.key(6, 'm').len(id, 64).raw([1, 2, 3, 4]);
  refused(w6.end());
});

test('lengths that lie are refused cleanly, without allocating what they claim', () => {
  const cases: Array<[string, (w: RdbWriter) => void]> = [
    ['string longer than the file', (w) => w.key(0, 'k').len(100_000_000, 32).raw('short')],
    ['64-bit string length', (w) => w.key(0, 'k').len(0x7fffffffffffffffn, 64).raw('short')],
    ['list count larger than the file', (w) => w.key(1, 'l').len(0xffffffff, 32).str('a')],
    ['LZF with a huge uncompressed length', (w) => w.key(0, 'k').byte(0xc3).len(4).len(0xfffffff0, 32).raw([0, 0x61, 0, 0x61])],
    ['LZF with clen beyond the file', (w) => w.key(0, 'k').byte(0xc3).len(5000).len(6000).raw([2, 0x61, 0x62, 0x63])],
    ['key length beyond the file', (w) => w.byte(0).len(1 << 30, 32)],
  ];
  for (const [what, build] of cases) {
    const w = new RdbWriter('REDIS', 9).selectDb(0);
    build(w);
    const bytes = w.end();
    const t0 = performance.now();
    refused(bytes);
    assert.ok(performance.now() - t0 < 1000, `${what}: slow refusal`);
  }
});

test('unknown value type and unknown opcode are refused, naming the byte', () => {
  const t = new RdbWriter('REDIS', 9).selectDb(0);
  t.key(30, 'k').str('v');
  refused(t.end(), /30|0x1e/);
  const o = new RdbWriter('REDIS', 9).selectDb(0);
  o.byte(0xf0).str('junk');
  refused(o.end(), /240|0xf0/);
});

test('checksum: a wrong CRC is refused (and accepted with checksum off); zero means disabled', () => {
  const build = (): RdbWriter => { const w = new RdbWriter('REDIS', 9).selectDb(0); w.key(0, 'k').str('v'); return w; };
  const good = build().end();
  const expected = crc64(good.subarray(0, good.length - 8));
  assert.equal(decode(good).summary.storedChecksum, expected.toString(16).padStart(16, '0'));
  const bad = build().end(expected ^ 1n);
  refused(bad, /checksum|crc/i);
  assert.equal(decode(bad, { checksum: false }).summary.checksum, 'skipped');
  assert.equal(decode(build().end('zero')).summary.checksum, 'disabled');
});

test('truncated checksum trailer and missing EOF are refused', () => {
  const w = new RdbWriter('REDIS', 9).selectDb(0);
  w.key(0, 'k').str('v');
  const full = w.end();
  refused(full.subarray(0, full.length - 3));
  refused(full.subarray(0, full.length - 9));
});

test('gzip input and an AOF with an RDB preamble are recognized', async () => {
  const { gzipSync } = await import('node:zlib');
  const w = new RdbWriter('REDIS', 10).aux('aof-preamble', '1').selectDb(0);
  w.key(0, 'k').str('v');
  const rdb = w.end();
  const plain = decode(rdb);
  const gz = decode(gzipSync(rdb));
  assert.deepStrictEqual(gz.result, plain.result);
  assert.equal(gz.summary.keys, 1);
  const aof = Buffer.concat([rdb, Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n')]);
  const a = decode(aof);
  assert.deepStrictEqual(a.result.keys, plain.result.keys);
  assert.equal(a.summary.bytes, rdb.length);
});

test('compact containers whose own header lies are refused when values are read', () => {
  const lp = listpack(['f', 'v']);
  const liar = Buffer.from(lp);
  liar.writeUInt32LE(lp.length + 40, 0); // total-bytes larger than the blob
  const w = new RdbWriter('REDIS', 10).selectDb(0);
  w.key(16, 'h').str(liar);
  refused(w.end());
  const w2 = new RdbWriter('REDIS', 10).selectDb(0);
  const noEnd = Buffer.from(lp);
  noEnd[noEnd.length - 1] = 0x7f; // missing the 0xFF terminator
  w2.key(16, 'h').str(noEnd);
  refused(w2.end());
});
