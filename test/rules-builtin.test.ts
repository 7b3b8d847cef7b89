/**
 * The built-in rules on an inventory built row by row: each rule's affected keys, memory and savings are checked
 * against what the rows hold, computed here from the rows themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addSnapshot, createInventory, type KeyRow } from './helpers/inventory.js';
import { loadRules, runRules, type Finding } from '../src/rules/engine.js';
import { summarizeInSql } from '../src/inventory/writer.js';

const CTIME = 1_700_000_000;
const NOW = CTIME * 1000;
const DAY = 86_400;

function dataset(): KeyRow[] {
  const rows: KeyRow[] = [];
  for (let i = 0; i < 120; i++) {
    rows.push({ key: `session:${randomUUID()}`, type: 'string', encoding: 'raw', length: 90 + (i % 7), memory: 160 + (i % 5) * 8,
      expires_at: i < 100 ? NOW + 1_800_000 : null, pattern: 'session:{uuid}', idle_s: 60 });
  }
  for (let i = 0; i < 200; i++) {
    rows.push({ key: `user:${i}:profile`, type: 'hash', encoding: 'listpack', length: 6, memory: 200 + i, largest_element: 40,
      expires_at: i % 4 === 0 ? null : NOW + 7 * DAY * 1000, pattern: 'user:{id}:profile', idle_s: i < 40 ? 40 * DAY : 5 });
  }
  for (let i = 0; i < 100; i++) {
    rows.push({ key: `order:${i}`, type: 'string', encoding: 'embstr', length: 30, memory: 80, pattern: 'order:{id}', idle_s: 100 });
  }
  for (let i = 0; i < 12; i++) {
    rows.push({ key: `job:${i}`, type: 'string', encoding: 'embstr', length: 10, memory: 64, pattern: 'job:{id}',
      expires_at: i < 10 ? NOW - 5000 * (i + 1) : i === 10 ? NOW : NOW + 1, idle_s: 40 * DAY });
  }
  for (let i = 0; i < 3; i++) {
    rows.push({ key: `blob:${i}`, type: 'string', encoding: 'raw', length: 200_000 + i, memory: 204_816, pattern: 'blob:{id}',
      compress_ratio: i < 2 ? 4 : 1.1, expires_at: NOW + 3_600_000 });
  }
  rows.push({ key: 'big:hash', type: 'hash', encoding: 'hashtable', length: 6000, memory: 500_000, largest_element: 30, pattern: 'big:hash' });
  rows.push({ key: 'idx:set', type: 'set', encoding: 'hashtable', length: 20_000, memory: 900_000, largest_element: 12, pattern: 'idx:set' });
  rows.push({ key: 'queue:mail', type: 'list', encoding: 'quicklist', length: 2000, memory: 90_000, largest_element: 300, pattern: 'queue:{name}' });
  for (let i = 0; i < 30; i++) {
    rows.push({ key: `prefs:${i}`, type: 'hash', encoding: i < 20 ? 'hashtable' : 'listpack', length: 50, largest_element: 30,
      memory: i < 20 ? 4000 : 700, pattern: 'prefs:{id}' });
    rows.push({ key: `tags:${i}`, type: 'set', encoding: 'hashtable', length: 20, largest_element: 10, memory: 1500, pattern: 'tags:{id}' });
  }
  for (let i = 0; i < 1200; i++) {
    rows.push({ key: `counter:${i}`, type: 'string', encoding: 'int', length: String(i).length, memory: 56, pattern: 'counter:{id}' });
  }
  for (let i = 0; i < 5; i++) rows.push({ db: 2, key: `legacy${i}`, type: 'string', encoding: 'embstr', length: 5, memory: 60 });
  for (let i = 0; i < 50; i++) rows.push({ key: `feed:v2:${i}`, type: 'list', encoding: 'quicklist', length: 5, memory: 300, pattern: 'feed:v2:{id}' });
  for (let i = 0; i < 5; i++) rows.push({ key: `feed:v1:${i}`, type: 'list', encoding: 'quicklist', length: 5, memory: 280, pattern: 'feed:v1:{id}', idle_s: 2 * DAY });
  // Binary key in a family of its own.
  rows.push({ key: Buffer.from([0xff, 0x00, 0x41]), type: 'string', encoding: 'embstr', length: 4, memory: 52, idle_s: 90 * DAY });
  return rows;
}

const sum = (rows: KeyRow[], f: (r: KeyRow) => number): number => rows.reduce((s, r) => s + f(r), 0);
const keyLen = (r: KeyRow): number => Buffer.byteLength(r.key);

function byId(findings: Finding[], id: string): Finding {
  const f = findings.find((x) => x.id === id);
  assert.ok(f, `finding ${id} expected; got ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

const rows = dataset();
const db = createInventory(':memory:');
const snap = addSnapshot(db, { ctime: CTIME, writer: 'redis 7.0.15' }, rows);
const res = runRules(db, loadRules(), snap);

test('findings are ranked by estimated savings', () => {
  for (let i = 1; i < res.findings.length; i++) assert.ok(res.findings[i - 1]!.savings >= res.findings[i]!.savings);
  assert.deepEqual(res.skipped.map((s) => s.id), ['long-key-names']);
});

test('TTL rules: temporary-looking keys, partial families, already expired keys', () => {
  const sess = byId(res.findings, 'ttl-session');
  const noTtlSessions = rows.filter((r) => r.pattern === 'session:{uuid}' && r.expires_at == null);
  assert.deepEqual(sess.rows.map((r) => [r.pattern, r.keys, r.memory]), [['session:{uuid}', noTtlSessions.length, sum(noTtlSessions, (r) => r.memory)]]);

  const partial = byId(res.findings, 'ttl-partial');
  const fam = rows.filter((r) => r.pattern === 'user:{id}:profile');
  const missing = fam.filter((r) => r.expires_at == null);
  const share = (fam.length - missing.length) / fam.length;
  assert.equal(partial.rows.length, 1, 'order:{id} (no TTL at all) and session (ttl-session) are not reported');
  assert.equal(partial.rows[0]!.keys, missing.length);
  assert.equal(partial.savings, Math.floor(sum(missing, (r) => r.memory) * share));

  const expired = byId(res.findings, 'expired-keys');
  const gone = rows.filter((r) => r.expires_at != null && r.expires_at <= NOW);
  assert.equal(expired.keys, gone.length);
  assert.equal(expired.keys, 11, 'expiry at exactly ctime counts, 1 ms after does not');
  assert.equal(expired.savings, sum(gone, (r) => r.memory));
});

test('large-value rules', () => {
  const big = rows.filter((r) => r.type === 'string' && r.length > 102_400);
  assert.equal(byId(res.findings, 'large-string').keys, big.length);
  assert.deepEqual(byId(res.findings, 'large-pattern').rows.map((r) => r.pattern).sort(), ['big:hash', 'blob:{id}', 'idx:set', 'queue:{name}']);
  assert.equal(byId(res.findings, 'large-hash').rows[0]!.pattern, 'big:hash');
  const set = byId(res.findings, 'large-set');
  assert.equal(set.savings, 900_000 - 14_500 - 'idx:set'.length);
  const list = byId(res.findings, 'large-list');
  assert.equal(list.keys, 1);
  assert.equal(list.savings, 0, 'no compression ratio measured, no savings claimed');
  const blocking = byId(res.findings, 'blocking-delete');
  assert.deepEqual(blocking.rows.map((r) => r.pattern), ['idx:set'], 'hashtable with >= 10,000 elements only');
  const comp = byId(res.findings, 'compressible-values');
  // Per family: the average measured ratio, extrapolated to all of the family's large strings.
  const families = new Map<string, typeof rows>();
  for (const r of rows.filter((x) => x.type === 'string' && x.length > 1024)) {
    families.set(r.pattern!, [...(families.get(r.pattern!) ?? []), r]);
  }
  let keys = 0;
  let savings = 0;
  for (const fam of families.values()) {
    const measured = fam.filter((r) => r.compress_ratio !== undefined && r.compress_ratio !== null);
    if (measured.length === 0) continue;
    const avg = sum(measured, (r) => r.compress_ratio!) / measured.length;
    if (avg < 2) continue;
    keys += fam.length;
    savings += Math.trunc(sum(fam, (r) => r.length) * (1 - 1 / avg));
  }
  assert.equal(comp.keys, 3, 'blob:{id}: ratios 4, 4 and 1.1 average over 2, so all three large values count');
  assert.equal(comp.keys, keys);
  assert.equal(comp.savings, savings);
});

test('encoding-listpack: hashtable hashes that fit a listpack; sets only for writers with set listpacks', () => {
  const enc = byId(res.findings, 'encoding-listpack');
  assert.deepEqual(enc.rows.map((r) => r.pattern), ['prefs:{id}'], 'Redis 7.0 has no set listpacks, so tags:{id} is not listed');
  const row = enc.rows[0]!;
  assert.equal(row.keys, 20);
  assert.match(row.detail!, /^hash hashtable: hash-max-listpack-entries 128 and hash-max-listpack-value 64/);
  // The estimate must stay above what the same data costs as a listpack on the server (700 bytes here).
  const perKey = 4000 - row.savings / row.keys;
  assert.ok(perKey >= 700 && perKey < 4000, `estimated ${perKey} bytes a key as a listpack`);

  const db72 = createInventory(':memory:');
  const s72 = addSnapshot(db72, { writer: 'valkey 8.0.1', magic: 'VALKEY' }, rows.filter((r) => r.pattern === 'tags:{id}'));
  const enc72 = byId(runRules(db72, loadRules(), s72).findings, 'encoding-listpack');
  assert.match(enc72.rows[0]!.detail!, /set-max-listpack-entries 128/);
});

test('shape rules: small strings into hashes, databases, cold keys, legacy formats', () => {
  const small = byId(res.findings, 'small-strings-to-hash');
  const counters = rows.filter((r) => r.pattern === 'counter:{id}');
  assert.equal(small.keys, counters.length);
  assert.equal(small.savings, Math.floor(sum(counters, (r) => Math.max(0, r.memory - ((keyLen(r) + r.length + 8) * 1.25 + 2)))));
  assert.deepEqual(small.rows.map((r) => r.pattern), ['counter:{id}'], 'order:{id} has too few keys');

  const dbs = byId(res.findings, 'multiple-dbs');
  assert.deepEqual(dbs.rows.map((r) => [r.pattern, r.keys]), [['db 2', 5]]);

  const cold = byId(res.findings, 'cold-keys');
  const coldRows = rows.filter((r) => r.expires_at == null && (r.idle_s ?? 0) >= 30 * DAY);
  assert.equal(cold.keys, coldRows.length);
  assert.ok(cold.rows.some((r) => r.example instanceof Uint8Array && Buffer.from(r.example).equals(Buffer.from([0xff, 0, 0x41]))),
    'binary example keys come back as bytes');

  const legacy = byId(res.findings, 'legacy-patterns');
  assert.deepEqual(legacy.rows.map((r) => [r.pattern, r.keys, r.savings]), [['feed:v1:{id}', 5, 5 * 280]]);
  assert.match(legacy.rows[0]!.detail!, /feed:v2:\{id\} \(50 keys\)/);
});

test('old-server only for old writers; cold-keys skipped without LRU/LFU data', () => {
  assert.equal(res.findings.find((f) => f.id === 'old-server'), undefined);
  const old = createInventory(':memory:');
  const s = addSnapshot(old, { writer: 'redis 6.2.14', ctime: null }, [{ key: 'a', type: 'string', encoding: 'embstr', length: 1, memory: 50 }]);
  const r = runRules(old, loadRules(), s);
  assert.equal(byId(r.findings, 'old-server').rows[0]!.pattern, 'redis 6.2.14');
  assert.ok(r.skipped.some((x) => x.id === 'cold-keys'));
  assert.ok(r.skipped.some((x) => x.id === 'expired-keys' && /no ctime/.test(x.reason)));
});

test('long-key-names on a keyspace over a million keys', () => {
  const big = createInventory(':memory:');
  const s = addSnapshot(big, {}, []);
  // 1,000,001 keys of one family with long names and tiny values, inserted by SQLite itself.
  big.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000001)
    INSERT INTO keys (snapshot_id, db, key, key_utf8, type, encoding, length, memory, rdb_bytes, slot, largest_element, pattern)
    SELECT ?, 0, CAST('analytics:pageview:counter:' || i AS BLOB), 1, 'string', 'int', 1, 72, 30, 0, 1,
      'analytics:pageview:counter:{id}' FROM n`).run(s);
  summarizeInSql(big, s); // rows added behind addSnapshot's back: summarized again, as index does
  const r = runRules(big, loadRules(), s);
  const f = byId(r.findings, 'long-key-names');
  assert.equal(f.keys, 1_000_001);
  assert.equal(f.savings, 1_000_001 * ('analytics:pageview:counter:'.length - 2));
});

test('rules that name keys keep the shape rdbscope plan derives key lists from', async () => {
  const { ruleKeysSql } = await import('../src/rules/keys.js');
  for (const id of ['ttl-session', 'ttl-partial', 'expired-keys', 'cold-keys', 'blocking-delete', 'large-list', 'encoding-listpack',
    'small-strings-to-hash', 'legacy-patterns', 'compressible-values']) {
    const f = byId(res.findings, id);
    const rule = loadRules().find((r) => r.id === id)!;
    const keys = db.prepare(ruleKeysSql(id, (rule.scan ?? rule.affected).sql)).all({ snapshot: snap }); // as plan does
    assert.equal(keys.length, f.keys, `${id}: the plan's key list matches the finding's key count`);
  }
});

test('ttl-long-temporary: temporary-looking families with more than a day of TTL left, and only those', () => {
  const r: KeyRow[] = [];
  for (let i = 0; i < 40; i++) {
    r.push({ key: `cache:page:${i}`, type: 'string', encoding: 'raw', length: 500, memory: 600 + i, pattern: 'cache:page:{id}',
      expires_at: NOW + (3 * DAY + (i % 3) * DAY) * 1000 });
  }
  for (let i = 0; i < 10; i++) r.push({ key: `lock:${i}`, type: 'string', encoding: 'embstr', length: 1, memory: 56, pattern: 'lock:{id}', expires_at: NOW + 60_000 });
  for (let i = 0; i < 5; i++) r.push({ key: `tmp:${i}`, type: 'string', encoding: 'embstr', length: 1, memory: 56, pattern: 'tmp:{id}', expires_at: NOW + DAY * 1000 });
  for (let i = 0; i < 5; i++) r.push({ key: `template:${i}`, type: 'string', encoding: 'embstr', length: 1, memory: 56, pattern: 'template:{id}', expires_at: NOW + 10 * DAY * 1000 });
  for (let i = 0; i < 5; i++) r.push({ key: `otp:${i}`, type: 'string', encoding: 'embstr', length: 6, memory: 56, pattern: 'otp:{id}' });
  const d = createInventory(':memory:');
  const s = addSnapshot(d, { ctime: CTIME, writer: 'redis 7.0.15' }, r);
  const f = byId(runRules(d, loadRules(), s).findings, 'ttl-long-temporary');
  const cache = r.filter((x) => x.pattern === 'cache:page:{id}');
  assert.deepEqual(f.rows.map((x) => [x.pattern, x.keys, x.memory, x.detail]), [
    ['cache:page:{id}', 40, sum(cache, (x) => x.memory), '40 keys with 3.0 to 5.0 days of TTL left at dump time'],
    ['tmp:{id}', 5, 5 * 56, '5 keys with 1.0 to 1.0 days of TTL left at dump time'],
  ]);
  assert.equal(f.savings, 0);
});

test('rules that need few of the notable keys read them through the narrower partial indexes', () => {
  // A rule's WHERE has to hold the index's condition as written for SQLite to use a partial index: this fails if
  // an edit of a rule (or of schema.sql) loses it, and the rule would read every notable key again.
  const expect: Record<string, string> = {
    'large-string': 'keys_large', 'large-hash': 'keys_large', 'large-list': 'keys_large', 'large-set': 'keys_large',
    'blocking-delete': 'keys_large', 'encoding-listpack': 'keys_encoded',
  };
  db.exec('ANALYZE');
  const rules = loadRules();
  for (const [id, index] of Object.entries(expect)) {
    const rule = rules.find((r) => r.id === id)!;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${rule.affected.sql}`).all({ snapshot: snap }) as Array<{ detail: string }>)
      .map((r) => r.detail).filter((d) => /\bkeys\b/.test(d));
    assert.ok(plan.some((d) => d.includes(`USING INDEX ${index}`)), `${id}: ${plan.join('; ')}`);
  }
  // And the rows found that way are the ones a scan of every key finds.
  const scanned = db.prepare(`SELECT COUNT(*) AS n FROM keys WHERE snapshot_id = ? AND length > 1000`).get(snap) as { n: number };
  const viaIndex = db.prepare(`SELECT COUNT(*) AS n FROM keys INDEXED BY keys_large WHERE snapshot_id = ? AND length > 1000`).get(snap) as { n: number };
  assert.equal(viaIndex.n, scanned.n);
  assert.ok(scanned.n > 0);
});
