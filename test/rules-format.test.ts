/**
 * The rule file format: what parses, and the one-line FILE:LINE errors for what does not. Also the checks made
 * against a real inventory before rules run (SQL rejected by SQLite, missing columns, writes, duplicate ids).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRule, RuleError } from '../src/rules/format.js';
import { builtinRulesDir, compileRules, loadRuleDir, loadRules, runRules } from '../src/rules/engine.js';
import { addSnapshot, createInventory } from './helpers/inventory.js';

const GOOD = `-- id: my-rule
-- title: Something
-- severity: warning
-- rationale: Because
--   it matters.
-- fix: Do this.

-- Savings: a free comment with a capitalized word before a colon.
-- @affected
SELECT pattern, COUNT(*) AS keys, SUM(memory) AS memory, 0 AS savings FROM keys
WHERE snapshot_id = :snapshot GROUP BY pattern;
`;

function errorOf(text: string): string {
  try {
    parseRule(text, 'r.sql');
  } catch (e) {
    assert.ok(e instanceof RuleError, `expected a RuleError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message;
  }
  assert.fail('expected the rule to be refused');
}

test('a well-formed rule parses, with continued header lines and sections', () => {
  const r = parseRule(GOOD, 'r.sql');
  assert.equal(r.id, 'my-rule');
  assert.equal(r.severity, 'warning');
  assert.equal(r.rationale, 'Because it matters.');
  assert.equal(r.affected.line, 9);
  assert.match(r.affected.sql, /^SELECT pattern/);
  assert.ok(!r.affected.sql.endsWith(';'));
  assert.equal(r.savings, null);
  assert.equal(r.skip, null);
});

test('bad rule files are refused with the file, the line and what is wrong', () => {
  assert.equal(errorOf(GOOD.replace('severity: warning', 'severity: high')),
    "r.sql:3: severity 'high' must be one of info, warning, critical");
  assert.equal(errorOf(GOOD.replace('-- title: Something\n', '')), "r.sql:1: missing header '-- title:'");
  assert.equal(errorOf(GOOD.replace('-- fix: Do this.', '-- fixx: Do this.')), "r.sql:6: unknown header 'fixx' (expected one of id, title, severity, rationale, fix, frees)");
  assert.equal(errorOf(GOOD.replace('-- id: my-rule', '-- id: My Rule')), "r.sql:1: rule id 'My Rule' must be lower-case letters, digits and '-'");
  assert.equal(errorOf(GOOD.replace('-- @affected', '-- @affectd')), "r.sql:9: unknown section '@affectd' (expected one of @affected, @savings, @skip, @scan)");
  assert.equal(errorOf(GOOD + '-- @affected\nSELECT 1\n'), "r.sql:12: section '@affected' appears twice");
  assert.equal(errorOf(GOOD.replace('-- @affected', '-- @savings')), "r.sql:12: missing section '-- @affected'");
  assert.equal(errorOf(GOOD.replace('-- @affected', 'SELECT 1;\n-- @affected')), "r.sql:9: SQL before the first section line ('-- @affected'): 'SELECT 1;'");
  assert.equal(errorOf(GOOD + '-- @skip\n-- only a comment\n'), "r.sql:12: section '@skip' has no SQL");
  assert.equal(errorOf(GOOD.replace('-- title: Something', '-- title: Something\n-- title: Again')), "r.sql:3: header 'title' appears twice");
  assert.equal(errorOf(GOOD.replace('-- fix: Do this.', '-- fix:')), "r.sql:6: header 'fix' is empty");
});

function ruleDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-rules-'));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
  return dir;
}

test('rules are checked against the inventory: SQL errors, required columns, read-only queries', () => {
  const db = createInventory(':memory:');
  const check = (sql: string, section = 'affected'): string => {
    const dir = ruleDir({ 'x.sql': GOOD.replace(/-- @affected[\s\S]*$/, `-- @${section}\n${sql}\n`) + (section === 'affected' ? '' : '-- @affected\nSELECT 1 AS pattern, 1 AS keys, 1 AS memory, 1 AS savings\n') });
    try {
      compileRules(db, loadRuleDir(dir));
    } catch (e) {
      assert.ok(e instanceof RuleError);
      return e.message.replace(dir, 'DIR');
    }
    return 'accepted';
  };
  assert.equal(check('SELEC pattern FROM keys'), 'DIR/x.sql:9: @affected: near "SELEC": syntax error');
  assert.equal(check('SELECT pattern, 1 AS keys FROM keys'), 'DIR/x.sql:9: @affected must return columns pattern, keys, memory, savings; missing memory, savings');
  assert.equal(check('SELECT nope FROM keys'), 'DIR/x.sql:9: @affected: no such column: nope');
  assert.equal(check('DELETE FROM keys'), 'DIR/x.sql:9: @affected: must be a query (SELECT or WITH ... SELECT)');
  assert.equal(check('SELECT 1 AS total FROM affected', 'savings'), 'DIR/x.sql:9: @savings must return a column named savings');
  assert.equal(check('SELECT SUM(savings) AS savings FROM affected', 'savings'), 'accepted');
});

test('a user rule runs next to the built-in ones; its @savings and @skip sections are used', () => {
  const db = createInventory(':memory:');
  const id = addSnapshot(db, {}, [
    { key: 'a:1', type: 'string', encoding: 'raw', length: 10, memory: 100, pattern: 'a:{id}' },
    { key: 'a:2', type: 'string', encoding: 'raw', length: 10, memory: 300, pattern: 'a:{id}' },
    { key: 'b:1', type: 'string', encoding: 'raw', length: 10, memory: 50, pattern: 'b:{id}' },
  ]);
  const dir = ruleDir({
    'mine.sql': GOOD.replace('0 AS savings', 'SUM(memory) / 2 AS savings') + '-- @savings\nSELECT MAX(savings) AS savings FROM affected\n',
    'never.sql': GOOD.replace('my-rule', 'never') + "-- @skip\nSELECT 'not today'\n",
  });
  const rules = loadRules([dir]);
  assert.equal(rules.length, loadRuleDir(builtinRulesDir()).length + 2);
  const res = runRules(db, rules, id);
  const mine = res.findings.find((f) => f.id === 'my-rule');
  assert.ok(mine);
  assert.deepEqual(mine.rows.map((r) => [r.pattern, r.keys, r.memory, r.savings]), [['a:{id}', 2, 400, 200], ['b:{id}', 1, 50, 25]]);
  assert.equal(mine.savings, 200, '@savings (MAX) replaces the default sum');
  assert.equal(mine.keys, 3);
  assert.deepEqual(res.skipped.find((s) => s.id === 'never'), { id: 'never', title: 'Something', reason: 'not today' });
  // Duplicate ids across folders are refused.
  const dup = ruleDir({ 'again.sql': GOOD });
  assert.throws(() => loadRules([dir, dup]), (e: Error) => e instanceof RuleError && /again\.sql:1: rule id 'my-rule' is already used by .*mine\.sql/.test(e.message));
  mkdirSync(join(dup, 'sub'));
  assert.throws(() => loadRuleDir(join(dup, 'missing')), /cannot read the rules folder/);
});

test('every built-in rule parses and compiles against the schema', () => {
  const db = createInventory(':memory:');
  const rules = loadRuleDir(builtinRulesDir());
  assert.ok(rules.length >= 15);
  assert.equal(compileRules(db, rules).length, rules.length);
  for (const r of rules) assert.match(r.affected.sql, /:snapshot/, `${r.id} filters by snapshot`);
});

test('rules on two threads give what they give on one, in the same order; a run-time error is the same one line', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'rdbscope-par-')), 'inv.sqlite');
  const db = createInventory(path);
  const rows = [];
  for (let i = 0; i < 300; i++) {
    rows.push({ key: `session:${i}`, type: 'string', encoding: 'raw', length: 90, memory: 160 + i, pattern: 'session:{id}',
      expires_at: i % 3 ? 1_700_000_900_000 : null, idle_s: i * 1000 });
    rows.push({ key: `user:${i}`, type: 'hash', encoding: i % 2 ? 'listpack' : 'hashtable', length: 6 + i, memory: 200 + i * 10,
      largest_element: 40, pattern: 'user:{id}' });
  }
  rows.push({ key: Buffer.from([0xff, 0x00]), type: 'list', encoding: 'quicklist', length: 20_000, memory: 900_000, largest_element: 10 });
  const id = addSnapshot(db, {}, rows);
  const dir = ruleDir({ 'mine.sql': GOOD.replace('0 AS savings', 'SUM(memory) / 2 AS savings') });
  const rules = loadRules([dir]);
  const one = runRules(db, rules, id);
  assert.ok(one.findings.length >= 4, `findings: ${one.findings.map((f) => f.id).join(', ')}`);
  const { runRulesInParallel } = await import('../src/rules/parallel.js');
  const two = await runRulesInParallel(db, path, rules, id, { threads: 2 });
  // Buffers come back from a thread as plain Uint8Arrays: compare the bytes
  // (a Buffer has its own toJSON, applied before the replacer sees it)
  const plain = (r: typeof one): unknown => JSON.parse(JSON.stringify(r, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return [...v];
    const o = v as { type?: unknown; data?: unknown } | null;
    return o !== null && typeof o === 'object' && o.type === 'Buffer' && Array.isArray(o.data) ? o.data : v;
  }));
  const { combined, ...rest } = two;
  assert.deepEqual(plain(rest), plain(one));
  const { combinedSavings } = await import('../src/rules/overlap.js');
  assert.deepEqual(combined, combinedSavings(db, rules, one, id), 'the threads\' results carry the savings counted once a key');
  assert.deepEqual(two.findings.map((f) => f.id), one.findings.map((f) => f.id));

  const bad = ruleDir({ 'bad.sql': GOOD.replace('SELECT pattern,', () => "SELECT json_extract('not json', '$') AS j, pattern,") });
  const withBad = loadRules([bad]);
  let seq = '';
  try {
    runRules(db, withBad, id);
  } catch (e) {
    seq = (e as Error).message;
  }
  assert.match(seq, /bad\.sql:\d+: @affected: malformed JSON/);
  await assert.rejects(runRulesInParallel(db, path, withBad, id, { threads: 2 }), (e: Error) => e.name === 'UserError' && e.message === seq);
  db.close();
});
