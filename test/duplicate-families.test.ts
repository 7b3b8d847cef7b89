/**
 * Families that hold the same data twice, end to end: a real redis-server (LRU policy, so the dump carries idle
 * times) holds session data under three families with shared uuids, timelines as JSON lists beside zlib strings
 * for the same users, and families that share ids without being copies. Index, the pairs table, the rule and a
 * plan that deletes the shared keys of the side named are checked against what was written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { haveRedisServer, resp, startRedis } from './helpers/redis.ts';
import { relatedNames } from '../src/inventory/duplicates.ts';

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.js');
const skip = (!haveRedisServer() && 'redis-server absent') || (!existsSync(cli) && 'dist/ not built (npm test builds it)');

function run(args: string[], ok = true): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('node', [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (ok) assert.equal(r.status, 0, r.stderr);
  return r;
}

const cand = (pattern: string): Parameters<typeof relatedNames>[0] => {
  const ph = pattern.match(/\{[a-z]+\}/)![0];
  const at = pattern.indexOf(ph);
  const prefix = pattern.slice(0, at);
  const suffix = pattern.slice(at + ph.length);
  return { pattern, keys: 100, placeholder: ph, prefix, suffix, words: (prefix + ' ' + suffix).toLowerCase().split(/[^a-z0-9]+/).filter(Boolean) };
};

test('related names: a shared stem; for ids that are not random, only markers besides', () => {
  assert.equal(relatedNames(cand('sess:{uuid}'), cand('session:{uuid}')), true);
  assert.equal(relatedNames(cand('user_session:{uuid}'), cand('session:{uuid}')), true);
  assert.equal(relatedNames(cand('timeline:{int}'), cand('timeline:c:{int}')), true);
  assert.equal(relatedNames(cand('feed:v1:{int}'), cand('feed:v2:{int}')), true);
  assert.equal(relatedNames(cand('user:{int}'), cand('user:cart:{int}')), false, "one user's different data");
  assert.equal(relatedNames(cand('cart:{uuid}'), cand('session:{uuid}')), false);
  assert.equal(relatedNames(cand('session:{uuid}'), cand('session:{int}')), false, 'different placeholders');
});

test('duplicate families: pairs, shared ids and memory, the older side, the rule and a one-side plan', { skip, timeout: 180_000 }, async () => {
  const r = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-dups-'));
  try {
    const ids = Array.from({ length: 400 }, () => randomUUID());
    const session = (id: string): string => JSON.stringify({ sid: id, user: id.slice(0, 8), cart: [1, 2, 3], theme: 'dark' });
    const old: Buffer[] = [];
    // The old families first: written once, then left alone.
    for (const id of ids.slice(0, 300)) old.push(resp('SET', `sess:${id}`, session(id)));
    for (let i = 0; i < 20; i++) old.push(resp('SET', `sess:${randomUUID()}`, session('x')));
    for (const id of ids.slice(100, 300)) old.push(resp('SET', `user_session:${id}`, session(id)));
    const timeline = (u: number): string => JSON.stringify(Array.from({ length: 5 }, (_, j) => ({ id: j, text: `post ${j} of ${u}` })));
    for (let u = 0; u < 150; u++) old.push(resp('RPUSH', `timeline:${u}`, ...JSON.parse(timeline(u)).map((x: unknown) => JSON.stringify(x))));
    // Same ids, different data: not copies.
    for (let u = 0; u < 150; u++) old.push(resp('HSET', `user:${u}`, 'name', `u${u}`), resp('HSET', `user:cart:${u}`, 'item', 'x'));
    for (const id of ids) old.push(resp('SET', `cart:${id}`, 'cart contents'));
    r.pipe(Buffer.concat(old));
    await sleep(3000); // LRU clock: a second a tick
    const fresh: Buffer[] = [];
    for (const id of ids) fresh.push(resp('SET', `session:${id}`, session(id)));
    for (let u = 30; u < 150; u++) fresh.push(resp('SET', `timeline:c:${u}`, deflateSync(Buffer.from(timeline(u)))));
    r.pipe(Buffer.concat(fresh));
    const dump = join(dir, 'dump.rdb');
    copyFileSync(r.save(), dump);
    const inv = join(dir, 'inv.sqlite');
    run(['index', dump, '--out', inv, '--quiet', '--allocator', 'system']);

    const db = new Database(inv, { readonly: true });
    const pairs = db.prepare('SELECT * FROM duplicate_families ORDER BY pattern, other').all() as Array<{
      pattern: string; other: string; shared_ids: number; keys: number; memory: number; other_keys: number; other_memory: number; older: number; reason: string;
    }>;
    const pair = (a: string, b: string): (typeof pairs)[number] => {
      const p = pairs.find((x) => x.pattern === a && x.other === b);
      assert.ok(p, `${a} / ${b} in ${pairs.map((x) => `${x.pattern}/${x.other}`).join(', ')}`);
      return p;
    };
    assert.deepEqual([...new Set(pairs.map((p) => [p.pattern, p.other].sort().join(' & ')))].sort(), [
      'sess:{uuid} & session:{uuid}', 'sess:{uuid} & user_session:{uuid}', 'session:{uuid} & user_session:{uuid}',
      'timeline:c:{int} & timeline:{int}',
    ]);
    // Memory of the shared keys of each side: the inventory's memory of exactly the keys written with shared ids.
    const mem = db.prepare('SELECT SUM(memory) FROM keys WHERE key = ?').pluck();
    const sumOf = (keys: string[]): number => keys.reduce((s, k) => s + (mem.get(Buffer.from(k)) as number), 0);
    const s1 = pair('sess:{uuid}', 'session:{uuid}');
    assert.equal(s1.shared_ids, 300);
    assert.equal(s1.keys, 300);
    assert.equal(s1.memory, sumOf(ids.slice(0, 300).map((id) => `sess:${id}`)));
    assert.equal(s1.other_memory, sumOf(ids.slice(0, 300).map((id) => `session:${id}`)));
    assert.equal(s1.older, 1, s1.reason);
    assert.match(s1.reason, /idle/);
    assert.equal(pair('session:{uuid}', 'sess:{uuid}').older, 0);
    assert.equal(pair('user_session:{uuid}', 'session:{uuid}').shared_ids, 200);
    assert.equal(pair('user_session:{uuid}', 'session:{uuid}').older, 1);
    const t = pair('timeline:{int}', 'timeline:c:{int}');
    assert.equal(t.shared_ids, 120);
    assert.equal(t.memory, sumOf(Array.from({ length: 120 }, (_, i) => `timeline:${i + 30}`)));
    assert.equal(t.older, 1, t.reason);
    // Against the server too: the shared sess keys' MEMORY USAGE.
    let server = 0;
    for (const id of ids.slice(0, 300)) server += Number(r.cli('MEMORY', 'USAGE', `sess:${id}`, 'SAMPLES', '0'));
    assert.ok(Math.abs(s1.memory - server) <= 0.05 * server, `${s1.memory} vs server ${server}`);
    db.close();

    // The rule: each side a row, savings on the older side only.
    const rec = JSON.parse(run(['recommend', '--in', inv, '--format', 'json']).stdout) as { findings: Array<{ id: string; savings: number; rows: Array<{ pattern: string; keys: number; memory: number; savings: number }> }> };
    const f = rec.findings.find((x) => x.id === 'duplicate-families');
    assert.ok(f, 'duplicate-families fires');
    const row = (p: string): { keys: number; memory: number; savings: number } => f.rows.find((x) => x.pattern === p)!;
    assert.equal(row('sess:{uuid}').keys, 300);
    assert.equal(row('sess:{uuid}').savings, s1.memory);
    assert.equal(row('session:{uuid}').savings, 0);
    assert.equal(row('session:{uuid}').keys, 300, 'the session keys whose id sess or user_session has (100 have none)');
    assert.equal(row('user_session:{uuid}').keys, 200);
    assert.equal(row('timeline:{int}').savings, t.memory);
    assert.equal(row('timeline:c:{int}').savings, 0);
    assert.equal(f.rows.some((x) => x.pattern.startsWith('user:') || x.pattern.startsWith('cart:')), false);

    // The plan deletes the shared keys of the side named, and only those.
    const out = join(dir, 'sess.plan');
    const plan = JSON.parse(run(['plan', '--rule', 'duplicate-families', '--in', inv, '--where', "pattern = 'sess:{uuid}'", '--out', out, '--json']).stdout) as { keys: number; action: string; bytesToFree: number };
    assert.equal(plan.keys, 300);
    assert.equal(plan.action, 'unlink');
    assert.equal(plan.bytesToFree, s1.memory);
    const planned = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('UNLINK ')).map((l) => JSON.parse(l.slice(7)) as string).sort();
    assert.deepEqual(planned, ids.slice(0, 300).map((id) => `sess:${id}`).sort());
    const none = run(['plan', '--rule', 'duplicate-families', '--in', inv, '--out', join(dir, 'x.plan')], false);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /name the family/);
    const both = run(['plan', '--rule', 'duplicate-families', '--in', inv, '--where', "pattern LIKE 'sess%'", '--out', join(dir, 'y.plan')], false);
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /both/);
  } finally {
    await r.stop();
  }
});
