/**
 * Savings told apart by when they are freed, and counted once a key across findings: combinedSavings (which lists
 * only key_groups rows and notable keys of the families several findings share) against the same total computed
 * here key by key, from every finding's full key list (the @scan queries, as `plan --rule` lists keys).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSnapshot, createInventory, type KeyRow } from './helpers/inventory.js';
import { loadRules, runRules, type Finding } from '../src/rules/engine.js';
import { FREES, parseRule, type Frees } from '../src/rules/format.js';
import { ruleKeysSql } from '../src/rules/keys.js';
import { combinedSavings, listFindingKeys, splitSavings, type FindingKey } from '../src/rules/overlap.js';

const CTIME = 1_700_000_000;
const NOW = CTIME * 1000;
const DAY = 86_400;

function dataset(): KeyRow[] {
  const rows: KeyRow[] = [];
  // sessions: short strings (small-strings-to-hash), two thirds without TTL (ttl-session)
  for (let i = 0; i < 1800; i++) {
    rows.push({ key: `session:${i}`, type: 'string', encoding: 'embstr', length: 20, memory: 80 + (i % 3) * 8, pattern: 'session:{id}',
      expires_at: i % 3 === 0 ? NOW + 3_600_000 : null, idle_s: 10 });
  }
  // tags: small hashtable sets (encoding-listpack, listed key by key), half without TTL (ttl-partial)
  for (let i = 0; i < 40; i++) {
    rows.push({ key: `tags:${i}`, type: 'set', encoding: 'hashtable', length: 20, largest_element: 10, memory: 1500 + i,
      pattern: 'tags:{id}', expires_at: i % 2 === 0 ? NOW + 7 * DAY * 1000 : null, idle_s: 10 });
  }
  // idx: big sets (large-set), one of three with a TTL (ttl-partial)
  for (let i = 0; i < 12; i++) {
    rows.push({ key: `idx:${i}`, type: 'set', encoding: 'hashtable', length: 20_000, largest_element: 12, memory: 900_000 + i,
      pattern: 'idx:{id}', expires_at: i % 3 === 0 ? NOW + DAY * 1000 : null, idle_s: 10 });
  }
  // old: cold short strings (cold-keys frees them now; small-strings-to-hash would pack them)
  for (let i = 0; i < 1200; i++) {
    rows.push({ key: `old:${i}`, type: 'string', encoding: 'embstr', length: 10, memory: 64, pattern: 'old:{id}',
      idle_s: i < 900 ? 40 * DAY : 100 });
  }
  // a family only one finding reports
  for (let i = 0; i < 20; i++) {
    rows.push({ key: `job:${i}`, type: 'string', encoding: 'embstr', length: 10, memory: 64, pattern: 'job:{id}',
      expires_at: NOW - 1000, idle_s: 5 });
  }
  return rows;
}

const db = createInventory(':memory:');
const snap = addSnapshot(db, { ctime: CTIME, writer: 'redis 7.2.4' }, dataset());
const rules = loadRules();
const res = runRules(db, rules, snap);

/** The reference: every finding's keys listed from a scan, each key counted once with its largest share. */
function keyByKey(findings: readonly Finding[], ruleSet = rules): Record<Frees, number> & { unlisted: string[] } {
  const best = new Map<string, { bucket: number; share: number }>();
  const out = { now: 0, expiry: 0, rewrite: 0, unlisted: [] as string[] };
  for (const f of findings) {
    if (f.savings <= 0) continue;
    const rule = ruleSet.find((r) => r.id === f.id)!;
    let sql: string;
    try {
      sql = ruleKeysSql(f.id, (rule.scan ?? rule.affected).sql);
    } catch {
      out.unlisted.push(f.id);
      out[f.frees] += f.savings;
      continue;
    }
    const rowSum = f.rows.reduce((s, r) => s + r.savings, 0);
    const ratio = new Map(f.rows.map((r) => [r.pattern, r.memory > 0 ? (r.savings * f.savings) / rowSum / r.memory : 0]));
    const keys = db.prepare(`SELECT k.db, hex(k.key) AS id, k.memory, COALESCE(k.pattern, '(no pattern)') AS pattern
      FROM (${sql}) d JOIN keys k ON k.snapshot_id = d.snapshot_id AND k.db = d.db AND k.key = d.key`).all({ snapshot: snap }) as
      Array<{ db: number; id: string; memory: number; pattern: string }>;
    const b = FREES.indexOf(f.frees);
    for (const k of keys) {
      const share = k.memory * (ratio.get(k.pattern) ?? 0);
      const id = `${k.db}:${k.id}`;
      const cur = best.get(id);
      if (!cur || share > cur.share || (share === cur.share && b < cur.bucket)) best.set(id, { bucket: b, share });
    }
  }
  for (const v of best.values()) out[FREES[v.bucket]!] += v.share;
  return out;
}

test('each built-in rule says when its savings are freed', () => {
  const frees = Object.fromEntries(rules.map((r) => [r.id, r.frees]));
  assert.equal(frees['cold-keys'], 'now');
  assert.equal(frees['expired-keys'], 'now');
  assert.equal(frees['ttl-session'], 'expiry');
  assert.equal(frees['ttl-partial'], 'expiry');
  assert.equal(frees['small-strings-to-hash'], 'rewrite');
  assert.equal(frees['compressible-values'], 'rewrite');
});

test('findings overlap here, in the families the dataset shares between rules', () => {
  const ids = (pattern: string): string[] => res.findings.filter((f) => f.rows.some((r) => r.pattern === pattern && r.savings > 0)).map((f) => f.id).sort();
  assert.deepEqual(ids('session:{id}'), ['small-strings-to-hash', 'ttl-session']);
  assert.deepEqual(ids('tags:{id}'), ['encoding-listpack', 'ttl-partial']);
  assert.deepEqual(ids('idx:{id}'), ['large-set', 'ttl-partial']);
  assert.deepEqual(ids('old:{id}'), ['cold-keys', 'small-strings-to-hash']);
  assert.deepEqual(ids('job:{id}'), ['expired-keys']);
});

test('the combined total counts each key once and equals the key-by-key count', () => {
  const split = splitSavings(res.findings);
  const combined = combinedSavings(db, rules, res, snap);
  const ref = keyByKey(res.findings);
  assert.deepEqual(ref.unlisted, []);
  assert.deepEqual(combined.notDeduplicated, []);
  for (const k of FREES) {
    assert.ok(Math.abs(combined[k] - Math.round(ref[k])) <= res.findings.length, `${k}: ${combined[k]} vs ${ref[k]}`);
  }
  assert.equal(combined.total, combined.now + combined.expiry + combined.rewrite);
  const sumAll = split.now + split.expiry + split.rewrite;
  assert.ok(combined.total < sumAll, `overlaps counted once: ${combined.total} < ${sumAll}`);
  assert.ok(combined.now > 0 && combined.expiry > 0 && combined.rewrite > 0);
  // a family one finding reports counts in full
  const expired = res.findings.find((f) => f.id === 'expired-keys')!;
  assert.equal(expired.savings, 20 * 64);
});

test('keys listed ahead by the rule threads give the same combined total as listing them in SQL', () => {
  // A rule over keys that frees all of a shared family's memory now: its keys' shares win over the other findings'.
  const text = `-- id: drop-sessions\n-- title: t\n-- severity: info\n-- rationale: r\n-- frees: now\n-- fix: f\n-- @affected\n` +
    `SELECT pattern, COUNT(*) AS keys, SUM(memory) AS memory, SUM(memory) AS savings FROM keys WHERE snapshot_id = :snapshot AND pattern = 'session:{id}' AND expires_at IS NULL GROUP BY pattern`;
  const all = [...rules, parseRule(text, 'drop-sessions.sql')];
  const r = runRules(db, all, snap);
  const listed = new Map<string, FindingKey[] | null>();
  for (const f of r.findings) listed.set(f.id, listFindingKeys(db, all.find((x) => x.id === f.id)!, f, snap));
  assert.equal(listed.get('drop-sessions')?.length, 1200);
  assert.ok((listed.get('large-set') ?? []).length > 0); // from notable_keys
  assert.deepEqual(listed.get('ttl-partial'), []); // selects key_groups rows: nothing to list
  const sql = combinedSavings(db, all, r, snap);
  const ahead = combinedSavings(db, all, r, snap, listed);
  for (const k of FREES) assert.ok(Math.abs(ahead[k] - sql[k]) <= 1, `${k}: ${ahead[k]} vs ${sql[k]}`);
  const ref = keyByKey(r.findings, all);
  for (const k of FREES) assert.ok(Math.abs(ahead[k] - Math.round(ref[k])) <= r.findings.length, `${k}: ${ahead[k]} vs ${ref[k]}`);
  const dropped = 1200 * 84; // sessions without a TTL: memory 80, 88, 80, 88, ... (two of each three)
  assert.ok(ahead.now >= dropped && ahead.now > combinedSavings(db, rules, res, snap).now, `${ahead.now}`);
  // a finding whose keys were not listed ahead sends every finding's keys back to SQL
  listed.set('drop-sessions', null);
  assert.deepEqual(combinedSavings(db, all, r, snap, listed), sql);
});

test('a rule whose keys cannot be listed is named, its savings added as they are', () => {
  const text = `-- id: opaque\n-- title: t\n-- severity: info\n-- rationale: r\n-- frees: rewrite\n-- fix: f\n-- @affected\n` +
    `SELECT pattern, SUM(keys) AS keys, SUM(memory) AS memory, SUM(memory) / 2 AS savings FROM (SELECT pattern, keys, memory FROM key_groups WHERE snapshot_id = :snapshot AND pattern = 'session:{id}' AND ttl_class = 0) GROUP BY pattern`;
  const opaque = parseRule(text, 'opaque.sql');
  const all = [...rules, opaque];
  const r = runRules(db, all, snap);
  const c = combinedSavings(db, all, r, snap);
  assert.deepEqual(c.notDeduplicated, ['opaque']);
  const base = combinedSavings(db, rules, res, snap);
  const f = r.findings.find((x) => x.id === 'opaque')!;
  assert.equal(c.rewrite, base.rewrite + f.savings);
});

test('the frees header is checked', () => {
  const text = (v: string): string => `-- id: x\n-- title: t\n-- severity: info\n-- rationale: r\n-- frees: ${v}\n-- fix: f\n-- @affected\nSELECT 1`;
  assert.equal(parseRule(text('expiry'), 'x.sql').frees, 'expiry');
  assert.throws(() => parseRule(text('later'), 'x.sql'), /x\.sql:5: frees 'later' must be one of now, expiry, rewrite/);
  assert.equal(parseRule(text('now').replace('-- frees: now\n', ''), 'x.sql').frees, 'now');
});
