/**
 * Value signals kept without keeping values (JSON strings, zset score ranges, shared hash field names) and the
 * three rules built on them, end to end: a real redis-server writes the data, `rdbscope index` reads the dump,
 * `rdbscope recommend` reports exactly what was written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FieldNames, looksLikeJson } from '../src/inventory/signals.ts';
import { haveRedisServer, resp, startRedis } from './helpers/redis.ts';

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli.js');
const b = (s: string): Buffer => Buffer.from(s);

test('looksLikeJson: whole values must parse; a cut prefix must start like an object or array', () => {
  assert.equal(looksLikeJson(b('{"a":1,"b":[1,2]}')), true);
  assert.equal(looksLikeJson(b('  [1, 2, 3]\n')), true);
  assert.equal(looksLikeJson(b('{not json}')), false);
  assert.equal(looksLikeJson(b('{}')), true);
  assert.equal(looksLikeJson(b('{')), false);
  assert.equal(looksLikeJson(b('{"uid":1,"ttl":3600,"ip":"10.0')), false, 'a whole value cut short');
  assert.equal(looksLikeJson(b('[1, 2]}')), false, 'closed by the other bracket');
  assert.equal(looksLikeJson(b('{"a":[1}')), false, 'ends right, does not parse');
  assert.equal(looksLikeJson(b('"just a string"')), false);
  assert.equal(looksLikeJson(b('12345678901234567890123')), false);
  assert.equal(looksLikeJson(b('{"cut": "in the mid'), false), true);
  assert.equal(looksLikeJson(b('{cut'), false), false);
  assert.equal(looksLikeJson(b('<html><body>'), false), false);
});

test('FieldNames counts names per family, skips data-like hashes, and merges folded families', () => {
  const f = new FieldNames();
  for (let i = 0; i < 3; i++) {
    f.beginKey();
    for (const n of ['name', 'email', ...(i === 0 ? ['extra'] : [])]) f.add(b(n));
    f.endHash(i < 2 ? 'user:{int}' : 'user:{hex}');
  }
  f.beginKey();
  for (let i = 0; i < 200; i++) f.add(b(`f${i}`));
  f.endHash('big');
  const rows = f.rows([['user:{hex}', 'user:{int}']]);
  const byName = new Map(rows.map((r) => [`${r.pattern} ${Buffer.from(r.field).toString()}`, r]));
  assert.equal(byName.get('user:{int} name')!.hashes, 3);
  assert.equal(byName.get('user:{int} name')!.familyHashes, 3);
  assert.equal(byName.get('user:{int} extra')!.hashes, 1);
  assert.equal(rows.some((r) => r.pattern === 'big'), false, 'a hash of 200 fields is data, not a schema');
});

test('recommend finds JSON strings, timestamp-scored zsets and repeated hash field names in a real dump', { skip: (!haveRedisServer() && 'redis-server absent') || (!existsSync(cli) && 'dist/ not built (npm test builds it)'), timeout: 120_000 }, async () => {
  const r = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-values-'));
  try {
    const cmds: Buffer[] = [];
    for (let i = 0; i < 40; i++) cmds.push(resp('SET', `doc:${i}`, JSON.stringify({ id: i, name: `document number ${i}`, tags: ['a', 'b'] })));
    for (let i = 0; i < 10; i++) cmds.push(resp('SET', `plain:${i}`, `just some text that is not json at all ${i}`));
    const t0 = 1_700_000_000;
    for (const [key, n] of [['events:small', 20], ['events:big', 300]] as const) {
      const args: string[] = [];
      for (let i = 0; i < n; i++) args.push(String(t0 + i * 60), `event-${i}`);
      cmds.push(resp('ZADD', key, ...args));
    }
    const pts: string[] = [];
    for (let i = 0; i < 50; i++) pts.push(String(i * 10), `player-${i}`);
    cmds.push(resp('ZADD', 'scores:game', ...pts));
    for (let i = 0; i < 150; i++) cmds.push(resp('HSET', `profile:${i}`, 'display_name', `user ${i}`, 'email_address', `u${i}@example.com`, 'id', String(i)));
    r.pipe(Buffer.concat(cmds));
    const dump = join(dir, 'dump.rdb');
    copyFileSync(r.save(), dump);
    const inv = join(dir, 'inv.sqlite');
    const ix = spawnSync('node', [cli, 'index', dump, '--out', inv, '--quiet'], { encoding: 'utf8' });
    assert.equal(ix.status, 0, ix.stderr);

    const db = new Database(inv, { readonly: true });
    const zs = db.prepare("SELECT key_text, encoding, score_min, score_max FROM keys WHERE type = 'zset' ORDER BY key_text").all() as Array<{ key_text: string; encoding: string; score_min: number; score_max: number }>;
    assert.deepEqual(zs.map((z) => [z.key_text, z.encoding, z.score_min, z.score_max]), [
      ['events:big', 'skiplist', t0, t0 + 299 * 60],
      ['events:small', 'listpack', t0, t0 + 19 * 60],
      ['scores:game', 'listpack', 0, 490],
    ]);
    const json = db.prepare("SELECT COUNT(*) FROM keys WHERE value_format = 'json'").pluck().get();
    assert.equal(json, 40);
    db.close();

    const rec = spawnSync('node', [cli, 'recommend', '--in', inv, '--format', 'json'], { encoding: 'utf8' });
    assert.equal(rec.status, 0, rec.stderr);
    const findings = JSON.parse(rec.stdout).findings as Array<{ id: string; keys: number; savings: number; rows: Array<{ pattern: string; keys: number; savings: number }> }>;
    const byId = (id: string) => findings.find((f) => f.id === id);
    assert.deepEqual(byId('json-strings')!.rows.map((x) => [x.pattern, x.keys]), [['doc:{int}', 40]]);
    assert.deepEqual(byId('zset-timestamp-scores')!.rows.map((x) => [x.pattern, x.keys]).sort(), [['events:big', 1], ['events:small', 1]]);
    const rep = byId('repeated-hash-fields')!;
    assert.deepEqual(rep.rows.map((x) => x.pattern), ['profile:{int}']);
    // display_name (12 bytes) and email_address (13) in all 150 hashes, cut to 2 bytes; 'id' is already short.
    assert.equal(rep.savings, (12 - 2) * 150 + (13 - 2) * 150);
  } finally {
    await r.stop();
  }
});
