/**
 * The strongest oracle: a real redis-server 7.0 loads each corpus file that `redis-check-rdb` 7.0 accepts
 * (RDB <= 10, no modules), and every key it holds (type, value, expiry, stream entries and groups) must equal our
 * decode. Keys the server drops on load (already expired, empty collections) are left out of our side.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { corpusPresent, manifest, oracleDiff, ourKeys, type ManifestRow, type OracleKey } from './helpers/corpus.js';
import { decodeFile } from './helpers/collect.js';
import { haveRedisServer, startRedis, type RedisInstance } from './helpers/redis.js';

const MAX_KEYS = 20000;

/** Files redis 7.0 loads. Tool-written dumps repeat keys within a db, which makes the server exit on load. */
function loadable(r: ManifestRow): boolean {
  return !/tool-written/.test(r.provenance) && r.checkRdb70 === 'pass' && r.version <= 10 && r.modules === '' && r.keys <= MAX_KEYS && r.keys > 0
    && !r.opcodes.includes('MODULE_AUX') && r.magic === 'REDIS';
}

const rows = corpusPresent() && haveRedisServer() ? manifest().filter(loadable) : [];
const skip = !corpusPresent() ? 'corpus absent' : !haveRedisServer() ? 'redis-server not installed' : undefined;

let server: RedisInstance | null = null;
let client: Redis | null = null;

async function restart(): Promise<void> {
  client?.disconnect();
  if (server) await server.stop().catch(() => undefined);
  server = await startRedis(['--enable-debug-command', 'yes']);
  client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: false });
  client.on('error', () => undefined); // a server that exits on a bad file is reported by the failing command
}

before(async () => { if (!skip) await restart(); });
after(async () => {
  client?.disconnect();
  if (server) await server.stop();
});

const latin1 = (b: Buffer): string => b.toString('latin1');

type Reply = Buffer | number | null | Reply[];

/** Everything the server holds, in oracle shape (latin1 text, lossless). */
async function serverKeys(c: Redis): Promise<OracleKey[]> {
  const out: OracleKey[] = [];
  for (let db = 0; db < 16; db++) {
    await c.select(db);
    const keys: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, batch] = (await c.callBuffer('SCAN', cursor, 'COUNT', '1000')) as [Buffer, Buffer[]];
      cursor = next.toString();
      keys.push(...batch);
    } while (cursor !== '0');
    for (const kb of keys) {
      const type = String(await c.type(kb));
      const pexp = Number(await c.call('PEXPIRETIME', kb));
      let value: unknown;
      if (type === 'string') value = latin1(await c.getBuffer(kb) as Buffer);
      else if (type === 'list') value = (await c.lrangeBuffer(kb, 0, -1)).map(latin1);
      else if (type === 'set') value = (await c.smembersBuffer(kb)).map(latin1);
      else if (type === 'zset') {
        const flat = (await c.callBuffer('ZRANGE', kb, '0', '-1', 'WITHSCORES')) as Buffer[];
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push([latin1(flat[i]!), flat[i + 1]!.toString()]);
        value = pairs;
      } else if (type === 'hash') {
        const flat = (await c.callBuffer('HGETALL', kb)) as Buffer[];
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push([latin1(flat[i]!), latin1(flat[i + 1]!)]);
        value = pairs;
      } else if (type === 'stream') {
        const entries = (await c.callBuffer('XRANGE', kb, '-', '+')) as Reply[];
        value = entries.map((e) => {
          const [id, fields] = e as [Buffer, Buffer[]];
          return [id.toString(), (fields ?? []).map(latin1)];
        });
      }
      out.push({ db, key: latin1(kb), type, value, expireMs: pexp < 0 ? null : pexp });
    }
  }
  await c.select(0);
  return out;
}

/** Stream groups as the server reports them: name, last-delivered-id, pending, consumers (name, pending). */
async function serverGroups(c: Redis, db: number, key: Buffer): Promise<unknown[]> {
  await c.select(db);
  const groups = (await c.call('XINFO', 'GROUPS', key)) as Array<Array<string | number>>;
  const out: unknown[] = [];
  for (const g of groups) {
    const m = new Map<string, string | number>();
    for (let i = 0; i < g.length; i += 2) m.set(String(g[i]), g[i + 1]!);
    const consumers = (await c.call('XINFO', 'CONSUMERS', key, String(m.get('name')))) as Array<Array<string | number>>;
    const cons = consumers.map((x) => {
      const cm = new Map<string, string | number>();
      for (let i = 0; i < x.length; i += 2) cm.set(String(x[i]), x[i + 1]!);
      return [String(cm.get('name')), Number(cm.get('pending'))];
    }).sort();
    out.push([String(m.get('name')), String(m.get('last-delivered-id')), Number(m.get('pending')), cons]);
  }
  await c.select(0);
  return out.sort();
}

test('server oracle: enough corpus files are loadable by redis 7.0', { skip }, () => {
  assert.ok(rows.length >= 30, `only ${rows.length}`);
});

for (const row of rows) {
  test(`server oracle ${row.relpath}`, { skip }, async () => {
    const { result } = decodeFile(row.path);
    assert.ok(server && client);
    copyFileSync(row.path, join(server.dir, 'dump.rdb'));
    try {
      await client.call('DEBUG', 'RELOAD', 'NOSAVE');
    } catch (e) {
      await restart();
      // The server refusing a file is not our decoder's fault; say so instead of passing silently.
      assert.fail(`redis-server 7.0 could not load ${row.relpath}: ${(e as Error).message}`);
    }
    const now = Date.now();
    const held = await serverKeys(client);
    const ours = ourKeys(result, 'latin1');
    for (const [id, k] of ours) {
      if ((k.expireMs !== null && k.expireMs <= now + 1000) || (k.type !== 'string' && k.type !== 'stream' && k.length === 0)) {
        ours.delete(id);
      }
    }
    const diffs = oracleDiff(ours, held);
    assert.deepEqual(diffs.slice(0, 15), [], `${diffs.length} differences from what redis-server holds`);
    for (const k of result.keys.filter((x) => x.record.type === 'stream' && x.stream)) {
      const want = await serverGroups(client, k.record.db, Buffer.from(k.record.key));
      const s = k.stream!;
      const got = s.groups.map((g) => [
        latin1(Buffer.from(g.name)), `${g.lastId.ms}-${g.lastId.seq}`, g.pending,
        s.consumers.filter((c) => Buffer.compare(Buffer.from(c.group), Buffer.from(g.name)) === 0)
          .map((c) => [latin1(Buffer.from(c.name)), c.pending]).sort(),
      ]).sort();
      assert.deepEqual(got, want, `stream ${latin1(Buffer.from(k.record.key))} groups`);
    }
  });
}
