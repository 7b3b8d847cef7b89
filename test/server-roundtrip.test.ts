/**
 * A real redis-server writes every type and encoding (LZF-compressible and incompressible strings, integers of
 * every width, non-UTF-8 keys and values, TTLs, several dbs, streams with groups and pending entries, a function
 * library); the test reads everything back from the server itself, SAVEs, decodes the dump with values, and
 * requires exactly what the server holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allEncodingsCommands, FUNCTION_CODE } from '../scripts/fixtures/all-encodings-data.ts';
import { Readback, bytesJson, type Bytes, type ExpectedKey } from '../scripts/lib/readback.ts';
import { decodeFile, scalarBytes, streamIdText, type CollectedKey } from './helpers/collect.ts';
import { haveRedisServer, resp, startRedis } from './helpers/redis.ts';

const j = (b: Buffer): Bytes => bytesJson(b);
const cmpBytes = (a: Bytes, b: Bytes): number => Buffer.compare(toBuf(a), toBuf(b));
const toBuf = (b: Bytes): Buffer => (typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.hex, 'hex'));
const scoreJson = (s: number): number | string => (Number.isFinite(s) ? s : s > 0 ? 'inf' : s < 0 ? '-inf' : 'nan');

/** Our decoded key in the shape the server read-back uses (scripts/lib/readback.ts). */
function asServerSees(k: CollectedKey): unknown {
  const r = k.record;
  switch (r.type) {
    case 'string':
      return j(k.str!);
    case 'list':
      return k.list.map(j);
    case 'set':
      return k.set.map(j).sort(cmpBytes);
    case 'zset':
      return [...k.zset]
        .sort((a, b) => a[1] - b[1] || Buffer.compare(a[0], b[0]))
        .map(([m, s]) => [j(m), scoreJson(s)]);
    case 'hash':
      return k.hash.map(([f, v]) => [j(f), j(v)]);
    default:
      return null;
  }
}

test('every type and encoding written by a real redis-server decodes to exactly what the server holds', { skip: !haveRedisServer() && 'redis-server absent', timeout: 120_000 }, async () => {
  const r = await startRedis(['--enable-debug-command', 'yes']);
  const rb = new Readback(r.port);
  try {
    const cmds = allEncodingsCommands();
    for (let i = 0; i < cmds.length; i += 2000) r.pipe(Buffer.concat(cmds.slice(i, i + 2000).map((c) => resp(...c))));
    const expected: ExpectedKey[] = await rb.allKeys([0, 1, 15]);
    const functions = await rb.functions();
    const dump = r.save();
    const { result } = decodeFile(dump, { values: true });
    assert.deepEqual(result.problems, []);
    assert.equal(result.keys.length, expected.length);

    const ours = new Map(result.keys.map((k) => [`${k.record.db}\0${toBuf(j(Buffer.from(k.record.key))).toString('hex')}`, k]));
    const seen = new Set<string>();
    for (const e of expected) {
      const id = `${e.db}\0${toBuf(e.key).toString('hex')}`;
      const k = ours.get(id);
      assert.ok(k, `key ${JSON.stringify(e.key)} in db ${e.db} decoded`);
      seen.add(`${e.type}/${e.encoding}`);
      const what = `${JSON.stringify(e.key)} (${e.type}/${e.encoding})`;
      assert.equal(k.record.type, e.type, what);
      assert.equal(k.record.encoding, e.encoding, what);
      assert.equal(k.record.length, e.length, what);
      assert.equal(k.record.expiresAtMs, e.expiresAtMs, what);
      if (e.type === 'hash') {
        // Field order in a hashtable is the server's; compare as sorted pairs.
        const sortPairs = (v: unknown): unknown => (v as Array<[Bytes, Bytes]>).slice().sort((a, b) => cmpBytes(a[0], b[0]));
        assert.deepEqual(sortPairs(asServerSees(k)), sortPairs(e.value), what);
      } else if (e.type === 'stream') {
        const s = k.stream!;
        const want = e.value as {
          entries: Array<{ id: string; fields: Array<[Bytes, Bytes]> }>;
          lastGeneratedId: string;
          groups: Array<{ name: Bytes; lastDeliveredId: string; pelCount: number; pending: Array<{ id: string; deliveryCount: number }>; consumers: Array<{ name: Bytes; pelCount: number }> }>;
        };
        assert.deepEqual(
          s.entries.map((x) => ({ id: x.id, fields: pairsOf(x.fields) })),
          want.entries,
          what,
        );
        assert.equal(streamIdText(s.meta!.lastId), want.lastGeneratedId, what);
        assert.deepEqual(
          s.groups.map((g) => ({ name: j(Buffer.from(g.name)), last: streamIdText(g.lastId), pel: g.pending })),
          want.groups.map((g) => ({ name: g.name, last: g.lastDeliveredId, pel: g.pelCount })),
          what,
        );
        for (const g of want.groups) {
          const ourPending = s.pending.filter((p) => cmpBytes(j(Buffer.from(p.group)), g.name) === 0);
          assert.deepEqual(ourPending.map((p) => [streamIdText(p.id), p.deliveryCount]), g.pending.map((p) => [p.id, p.deliveryCount]), what);
          const ourConsumers = s.consumers.filter((c) => cmpBytes(j(Buffer.from(c.group)), g.name) === 0);
          assert.deepEqual(ourConsumers.map((c) => [j(Buffer.from(c.name)), c.pending]), g.consumers.map((c) => [c.name, c.pelCount]), what);
        }
      } else {
        assert.deepEqual(asServerSees(k), e.value, what);
      }
    }
    for (const enc of ['string/int', 'string/embstr', 'string/raw', 'list/quicklist', 'set/intset', 'set/hashtable', 'zset/listpack', 'zset/skiplist', 'hash/listpack', 'hash/hashtable', 'stream/stream']) {
      assert.ok(seen.has(enc), `dataset covers ${enc}`);
    }
    assert.equal(result.functions.length, functions.length);
    assert.equal(Buffer.from(result.functions[0]!.code).toString(), FUNCTION_CODE);
    assert.equal(result.summary!.checksum, 'ok');
  } finally {
    await rb.close();
    await r.stop();
  }
});

function pairsOf(fields: Buffer[]): Array<[Bytes, Bytes]> {
  const out: Array<[Bytes, Bytes]> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push([j(scalarBytes(fields[i]!)), j(scalarBytes(fields[i + 1]!))]);
  return out;
}
