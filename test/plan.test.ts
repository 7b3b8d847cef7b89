/**
 * Plans without a server: redis-cli quoting both ways, the plan parser's refusals, and plans built from an
 * inventory whose rows the test inserts (each action's key selection, guards, batches, header totals, rules).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAfterWrite, openForWrite } from '../src/inventory/db.js';
import { makePlan, type MakePlanInput } from '../src/plan/index.js';
import { parsePlan, readPlan } from '../src/plan/parse.js';
import { sealOf } from '../src/plan/model.js';
import { repr, splitArgs } from '../src/plan/quote.js';
import { ruleKeysSql } from '../src/rules/keys.js';
import { loadRules } from '../src/rules/engine.js';
import { UserError } from '../src/errors.js';

test('repr writes what sdscatrepr writes and splitArgs reads every byte back', () => {
  assert.equal(repr(Buffer.from('a b"c\\\n\r\t\x07\x08\x00\xff', 'latin1')), '"a b\\"c\\\\\\n\\r\\t\\a\\b\\x00\\xff"');
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const keys = [all, Buffer.from(''), Buffer.from('plain'), Buffer.from('\u00e9t\u00e9 \u{1f600}'), Buffer.from('"\'\\x41')];
  for (let i = 0; i < 200; i++) keys.push(Buffer.from(Array.from({ length: i % 37 }, () => Math.floor(Math.random() * 256))));
  for (const k of keys) {
    const line = `UNLINK ${repr(k)} ${repr(k)}`;
    assert.match(line, /^[\x20-\x7e]*$/, 'a plan line is printable ASCII');
    assert.deepEqual(splitArgs(line), [Buffer.from('UNLINK'), k, k]);
  }
  // Forms redis-cli accepts that rdbscope never writes.
  assert.deepEqual(splitArgs(`HDEL 'it\\'s' "\\x4a\\q" bare`), [Buffer.from('HDEL'), Buffer.from("it's"), Buffer.from('Jq'), Buffer.from('bare')]);
  assert.equal(splitArgs('UNLINK "open'), null);
  assert.equal(splitArgs('UNLINK "a"b'), null);
});

const SEAL = '00112233445566778899aabbccddeeff';
const head = (action: string, commands = 1): string =>
  `# rdbscope cleanup plan, format 1\n# repl-id: none\n# action: ${action}\n# commands: ${commands}\n# seal: ${SEAL}\n\n`;
const HEAD = head('unlink');

/** Seals the guard lines of a hand-written plan body as `rdbscope plan` does (db 0 until a SELECT). */
function sealed(body: string): string {
  const lines = body.split('\n');
  let db = 0;
  return lines.map((l, i) => {
    const sel = /^SELECT (\d+)$/.exec(l);
    if (sel) db = Number(sel[1]);
    return l.startsWith('#@') && lines[i + 1] !== undefined ? `${l} seal=${sealOf(SEAL, db, l, lines[i + 1]!)}` : l;
  }).join('\n');
}

test('the parser refuses unguarded, foreign and malformed commands, naming the line', () => {
  const bad: Array<[string, RegExp]> = [
    ['UNLINK "k"\n', /p:7: UNLINK without a "#@" guard/],
    ['#@ type=string ttl=none len=1 mem=1\nDEL "k"\n', /p:8: 'DEL' is not a command a plan may hold/],
    ['#@ type=string ttl=none len=1 mem=1\nFLUSHALL\n', /p:8: 'FLUSHALL' is not/],
    ['#@ type=string ttl=none len=1 mem=1\nUNLINK "a" "b"\n', /p:8: UNLINK takes exactly one key/],
    ['#@ type=string ttl=none len=1 mem=1\nUNLINK "a\n', /p:8: unbalanced quotes/],
    ['#@ type=string ttl=maybe len=1 mem=1\nUNLINK "a"\n', /p:7: guard without a valid ttl=/],
    ['#@ type=string ttl=none len=1 mem=1\n#@ type=string ttl=none len=1 mem=1\nUNLINK "a"\n', /p:8: guard of line 7 is not followed/],
    ['#@ type=list ttl=none len=1 mem=1\nLTRIM "a" 0\n', /p:8: LTRIM needs: key start stop/],
  ];
  for (const [body, re] of bad) {
    assert.throws(() => parsePlan(HEAD + body, 'p'), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));
  }
  assert.throws(() => parsePlan('UNLINK x\n', 'p'), /p:1: not an rdbscope plan/);
  const trims = 'SELECT 3\n#@ type=list ttl=123 len=10 mem=5\nLTRIM "l" 0 4\n#@ type=list ttl=123 len=5 mem=5\nLTRIM "l" 0 1\n';
  const ok = parsePlan(head('trim', 2) + sealed(trims), 'p');
  assert.deepEqual(ok.commands.map((c) => [c.line, c.db, c.backup, c.guard.ttl, c.guard.expiresAt, c.guard.len]),
    [[9, 3, true, 'set', 123, 10], [11, 3, false, 'set', 123, 5]]);
  // Every line must be what the plan's action writes, and none may be added to what its header counts.
  const g = '#@ type=string ttl=none len=1 mem=1\n';
  assert.throws(() => parsePlan(HEAD + sealed(g + 'EXPIRE "after:1" 0\n'), 'p'), /p:8: EXPIRE is not what the plan's action 'unlink' writes/);
  assert.throws(() => parsePlan(head('expire') + sealed(g + 'EXPIRE "k" 10 LT\n'), 'p'), /EXPIRE is not what the plan's action 'expire' writes/);
  assert.throws(() => parsePlan(HEAD + sealed(g + 'UNLINK "a"\n' + g + 'UNLINK "b"\n'), 'p'), /p: 2 commands, more than the 1/);
  assert.throws(() => parsePlan('# rdbscope cleanup plan, format 1\n\n' + g + 'UNLINK "a"\n', 'p'), /before the plan's '# action:' header/);
  assert.equal(parsePlan(head('unlink', 5) + sealed(g + 'UNLINK "a"\n'), 'p').commands.length, 1, 'removing commands is allowed');
  // Seals: a line added, a command or a guard changed, or a line moved to another database is refused.
  const one = sealed('SELECT 0\n' + g + 'UNLINK "a"\n');
  assert.equal(parsePlan(HEAD + one, 'p').commands.length, 1);
  const refusedSeal = /p:9: UNLINK does not carry this plan's seal \(the line or its guard was added or changed after rdbscope wrote the plan\)/;
  assert.throws(() => parsePlan(HEAD + 'SELECT 0\n' + g + 'UNLINK "a"\n', 'p'), refusedSeal, 'no seal');
  assert.throws(() => parsePlan(HEAD + one.replace('UNLINK "a"', 'UNLINK "b"'), 'p'), refusedSeal, 'another key');
  assert.throws(() => parsePlan(HEAD + one.replace('len=1', 'len=2'), 'p'), refusedSeal, 'a changed guard');
  assert.throws(() => parsePlan(HEAD + one.replace('SELECT 0', 'SELECT 1'), 'p'), refusedSeal, 'another database');
  assert.throws(() => parsePlan(HEAD.replace(SEAL, 'ff' + SEAL.slice(2)) + one, 'p'), refusedSeal, 'another plan\'s seal');
  assert.throws(() => parsePlan(HEAD.replace(/# seal: .*\n/, '') + one, 'p'), /p:8: the plan has no '# seal:' header/);
});

interface Row { db?: number; key: Buffer | string; type: string; length: number; memory: number; expires_at?: number | null; pattern?: string | null }

function inventory(dir: string, rows: Row[], ctime = 1_700_000_000): string {
  const path = join(dir, 'inv.sqlite');
  const db = openForWrite(path);
  db.prepare(`INSERT INTO snapshots(id, label, source, started_at, status, ctime, writer, repl_id) VALUES (1, 'test', 'x.rdb', '2026-01-01', 'complete', ?, 'redis 7.0.15', 'abc123')`).run(ctime);
  const ins = db.prepare(`INSERT INTO keys(snapshot_id, db, key, type, encoding, length, memory, rdb_bytes, expires_at, slot, largest_element, pattern)
    VALUES (1, ?, ?, ?, 'raw', ?, ?, 0, ?, 0, 0, ?)`);
  for (const r of rows) ins.run(r.db ?? 0, Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key), r.type, r.length, r.memory, r.expires_at ?? null, r.pattern ?? null);
  closeAfterWrite(db);
  return path;
}

function plan(inv: string, out: string, over: Partial<MakePlanInput>): ReturnType<typeof makePlan> {
  return makePlan({ inventory: inv, snapshot: undefined, rule: null, where: null, out, action: null, ttl: null, fields: [], keep: null, batch: 1000, resp: false, ...over });
}

test('plans select the keys each action applies to, with guards, groups and totals', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const odd = Buffer.from('s:\x00 "q"\n\xfe', 'latin1');
  const ctimeMs = 1_700_000_000_000;
  const inv = inventory(dir, [
    { key: 'sess:1', type: 'string', length: 10, memory: 100, pattern: 'sess:{id}' },
    { key: odd, type: 'string', length: 3, memory: 50, pattern: 'sess:{id}' },
    { key: 'sess:3', type: 'string', length: 4, memory: 70, expires_at: ctimeMs + 3_600_000 * 48, pattern: 'sess:{id}' },
    { key: 'sess:4', type: 'string', length: 4, memory: 70, expires_at: ctimeMs + 60_000, pattern: 'sess:{id}' },
    { key: 'h:1', type: 'hash', length: 7, memory: 300, pattern: 'h:{n}' },
    { key: 'feed', db: 2, type: 'list', length: 2500, memory: 25000, pattern: null },
    { key: 'rank', db: 2, type: 'zset', length: 1200, memory: 12000, pattern: null },
  ]);
  const out = join(dir, 'p.plan');

  const u = plan(inv, out, { where: "type = 'string'", action: 'unlink', resp: true });
  assert.deepEqual([u.keys, u.commands, u.bytesToFree], [4, 4, 290]);
  const text = readFileSync(out, 'utf8');
  assert.match(text, /^# keys: 4$/m);
  assert.match(text, /^# bytes to free now: 290 /m);
  assert.match(text, /^# bytes to free at expiry: 0 /m);
  assert.match(text, /^# pattern sess:\{id\} in db 0: 4 keys/m);
  const p = readPlan(out);
  assert.equal(p.replId, 'abc123');
  assert.deepEqual(p.commands.map((c) => c.args[1]), [odd, Buffer.from('sess:1'), Buffer.from('sess:3'), Buffer.from('sess:4')].sort(Buffer.compare));
  const g3 = p.commands.find((c) => c.args[1]!.equals(Buffer.from('sess:3')))!.guard;
  assert.deepEqual(g3, { type: 'string', ttl: 'set', expiresAt: ctimeMs + 3_600_000 * 48, len: 4, mem: 70 });
  // The RESP copy holds the same commands, binary safe.
  const resp = readFileSync(out + '.resp');
  assert.ok(resp.includes(Buffer.concat([Buffer.from(`$${odd.length}\r\n`), odd, Buffer.from('\r\n')])));
  assert.equal(resp.toString('latin1').split('*2\r\n$6\r\nUNLINK').length - 1, 4);

  // expire: only keys without a TTL; cap-ttl: only TTLs longer than the cap (counted from the dump's ctime).
  // Savings: expire and cap-ttl free their keys' memory at expiry, not now.
  const ex = plan(inv, out, { where: "pattern = 'sess:{id}'", action: 'expire', ttl: 600 });
  assert.deepEqual(readPlan(out).commands.map((c) => c.text), [`EXPIRE ${repr(odd)} 600 NX`, 'EXPIRE "sess:1" 600 NX']);
  assert.deepEqual([ex.bytesToFree, ex.bytesAtExpiry], [0, 150]);
  assert.match(readFileSync(out, 'utf8'), /^# pattern sess:\{id\} in db 0: 2 keys, 0 B to free now, 150 B at expiry$/m);
  const cp = plan(inv, out, { where: "pattern = 'sess:{id}'", action: 'cap-ttl', ttl: 3600 });
  assert.deepEqual(readPlan(out).commands.map((c) => c.text), ['EXPIRE "sess:3" 3600 LT']);
  assert.deepEqual([cp.bytesToFree, cp.bytesAtExpiry], [0, 70]);
  plan(inv, out, { where: '1', action: 'persist' });
  assert.deepEqual(readPlan(out).commands.map((c) => c.args[1]!.toString()), ['sess:3', 'sess:4']);
  const hd = plan(inv, out, { where: '1', action: 'hdel', fields: ['a', 'b c'] });
  assert.deepEqual(readPlan(out).commands.map((c) => c.text), ['HDEL "h:1" a "b c"']);
  assert.deepEqual([hd.bytesToFree, hd.bytesAtExpiry], [Math.floor(300 * 2 / 7), 0], 'two of seven fields: their share of the hash');

  // trim: absolute LTRIM / ZREMRANGEBYRANK steps of at most --batch elements, each guarded by the length before it.
  const tr = plan(inv, out, { where: '1', action: 'trim', keep: 1000, batch: 600 });
  const tp = readPlan(out);
  assert.equal(tr.commands, 3 + 1);
  assert.deepEqual(tp.commands.map((c) => [c.db, c.text, c.guard.len, c.backup]), [
    [2, 'LTRIM "feed" 0 1899', 2500, true], [2, 'LTRIM "feed" 0 1299', 1900, false], [2, 'LTRIM "feed" 0 999', 1300, false],
    [2, 'ZREMRANGEBYRANK "rank" 0 -1001', 1200, true],
  ]);
  assert.match(readFileSync(out, 'utf8'), /^SELECT 2$/m);

  assert.throws(() => plan(inv, out, { where: 'nosuchcolumn = 1', action: 'unlink' }), /--where "nosuchcolumn = 1" is not valid SQL over the keys table: no such column/);
  assert.throws(() => plan(inv, out, { where: '1', action: 'expire' }), /--action expire needs --ttl/);
  assert.throws(() => plan(inv, out, { where: '1' }), /choose what to do with --action/);
  assert.throws(() => plan(inv, out, { where: '1', action: 'unlink', snapshot: 'nope' }), /no complete snapshot with id or label 'nope'/);
});

test('a rule\'s per-pattern query becomes its key list (every built-in rule prepares)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ctime = 1_700_000_000;
  const rows: Row[] = [
    { key: 'gone:1', type: 'string', length: 1, memory: 60, expires_at: ctime * 1000 - 5000, pattern: 'gone:{n}' },
    { key: 'gone:2', type: 'string', length: 1, memory: 60, expires_at: ctime * 1000 + 5000, pattern: 'gone:{n}' },
    { key: 'big:1', type: 'string', length: 1, memory: 20000, pattern: 'big:{n}' },
    { key: 'big:2', type: 'string', length: 1, memory: 30000, pattern: 'big:{n}' },
    { key: 'small:1', type: 'string', length: 1, memory: 30, pattern: 'small:{n}' },
  ];
  const inv = inventory(dir, rows, ctime);
  const out = join(dir, 'p.plan');
  const r = plan(inv, out, { rule: 'expired-keys' });
  assert.equal(r.action, 'unlink');
  assert.deepEqual(readPlan(out).commands.map((c) => c.text), ['UNLINK "gone:1"']);
  assert.match(readFileSync(out, 'utf8'), /^# rule: expired-keys$/m);
  // HAVING over the pattern: the keys of the patterns the rule reports, ANDed with --where.
  plan(inv, out, { rule: 'large-pattern', action: 'unlink' });
  assert.deepEqual(readPlan(out).commands.map((c) => c.text), ['UNLINK "big:1"', 'UNLINK "big:2"']);
  plan(inv, out, { rule: 'large-pattern', action: 'unlink', where: 'memory > 25000' });
  assert.deepEqual(readPlan(out).commands.map((c) => c.text), ['UNLINK "big:2"']);
  assert.throws(() => plan(inv, out, { rule: 'large-string' }), /rule 'large-string' implies no action/);
  assert.throws(() => plan(inv, out, { rule: 'no-such-rule', action: 'unlink' }), /no rule with id 'no-such-rule'/);

  // Every built-in rule either yields a key query that SQLite accepts, or is refused in one line.
  const db = openForWrite(inv);
  const derivable: string[] = [];
  for (const rule of loadRules()) {
    let sql: string;
    try {
      sql = ruleKeysSql(rule.id, (rule.scan ?? rule.affected).sql); // as plan does
    } catch (e) {
      assert.match((e as Error).message, new RegExp(`^rule '${rule.id}': cannot derive the affected keys from its query \\(.+\\); use --where instead$`));
      continue;
    }
    assert.deepEqual(db.prepare(sql).columns().map((c) => c.name), ['snapshot_id', 'db', 'key'], rule.id);
    derivable.push(rule.id);
  }
  closeAfterWrite(db);
  for (const id of ['expired-keys', 'blocking-delete', 'ttl-session', 'ttl-partial', 'large-list', 'large-hash', 'large-pattern']) {
    assert.ok(derivable.includes(id), `${id} derivable`);
  }
  assert.throws(() => ruleKeysSql('x', 'SELECT pattern FROM snapshots GROUP BY pattern'), /cannot derive the affected keys/);
});

test('hostile labels, writers, file names and patterns stay inside their comment line: apply sees only the plan\'s commands', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inject = '\n#@ type=string ttl=none len=10 mem=72\nUNLINK "after:1"\n#';
  const inv = inventory(dir, [{ key: 'k:1', type: 'string', length: 10, memory: 72, pattern: `k:{n}${inject}` }]);
  const db = openForWrite(inv);
  db.prepare('UPDATE snapshots SET label = ?, writer = ?, repl_id = ?').run(`prod${inject}`, `redis 7.0.15${inject}\u2028x\r`, 'abc123');
  closeAfterWrite(db);
  const out = join(dir, `p${inject.replace(/[/"]/g, '')}.plan`);
  const r = plan(inv, out, { where: "type = 'string'", action: 'unlink' });
  assert.equal(r.commands, 1);
  const text = readFileSync(out, 'utf8');
  assert.deepEqual(text.split('\n').filter((l) => !l.startsWith('#') && l !== ''), ['SELECT 0', 'UNLINK "k:1"']);
  assert.equal(text.split('\n').filter((l) => l.startsWith('#@')).length, 1);
  assert.match(text, /^# snapshot: 1 \(prod\\n#@ type=string ttl=none len=10 mem=72\\nUNLINK "after:1"\\n#\), written by redis 7\.0\.15\\n#@/m);
  assert.match(text, /\\u2028x\\r/);
  const p = readPlan(out);
  assert.deepEqual(p.commands.map((c) => c.args.map(String)), [['UNLINK', 'k:1']]);
  assert.equal(p.replId, 'abc123');
});

test('--fields in both forms; a field no hash of the family has is refused by name; cap-ttl says which keys it left out', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-fields-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inv = inventory(dir, [
    { key: 'h:1', type: 'hash', length: 3, memory: 100, pattern: 'h:{n}' },
    { key: 'h:2', type: 'hash', length: 3, memory: 100, pattern: 'h:{n}' },
    { key: 't:1', type: 'string', length: 3, memory: 60, expires_at: 1_700_000_000_000 + 86_400_000 * 30, pattern: 't:{n}' },
    { key: 't:2', type: 'string', length: 3, memory: 70, pattern: 't:{n}' },
    { key: 't:3', type: 'string', length: 3, memory: 80, pattern: 't:{n}' },
  ]);
  const db = openForWrite(inv);
  const ins = db.prepare('INSERT INTO hash_fields (snapshot_id, pattern, field, field_text, hashes, family_hashes) VALUES (1, ?, ?, ?, 2, 2)');
  for (const f of ['name', 'email', 'old']) ins.run('h:{n}', Buffer.from(f), f);
  closeAfterWrite(db);
  const out = join(dir, 'f.plan');
  const commands = (): string[] => readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('HDEL'));
  plan(inv, out, { where: "pattern = 'h:{n}'", action: 'hdel', fields: ['old,email'] });
  assert.deepEqual(commands(), ['HDEL "h:1" old email', 'HDEL "h:2" old email']);
  plan(inv, out, { where: "pattern = 'h:{n}'", action: 'hdel', fields: ['old', 'email'] });
  assert.deepEqual(commands(), ['HDEL "h:1" old email', 'HDEL "h:2" old email']);
  assert.throws(() => plan(inv, out, { where: "pattern = 'h:{n}'", action: 'hdel', fields: ['old,a,b'] }),
    { name: 'UserError', message: /^--fields: no hash of the selected keys has a field "a" \(their fields: h:\{n\}: "name", "email", "old"\)/ });
  const cap = plan(inv, out, { where: "pattern = 't:{n}'", action: 'cap-ttl', ttl: 3600 });
  assert.equal(cap.keys, 1);
  assert.deepEqual(cap.notes, ['2 selected keys (150 bytes) have no TTL and were left out: cap-ttl only shortens TTLs; give them one with a second plan, --action expire']);
  assert.deepEqual(plan(inv, out, { where: "pattern = 't:{n}'", action: 'unlink' }).notes, []);
});

test('--jitter spreads the TTLs of a big expire or cap-ttl plan (by default past 1,000 keys), the same way every time', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-jitter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rows: Row[] = Array.from({ length: 1500 }, (_, i) => ({ key: `s:${i}`, type: 'string', length: 3, memory: 60, pattern: 's:{n}' }));
  rows.push(...Array.from({ length: 300 }, (_, i) => ({ key: `c:${i}`, type: 'string', length: 3, memory: 60, expires_at: 1_700_000_000_000 + 86_400_000 * 30, pattern: 'c:{n}' })));
  const inv = inventory(dir, rows);
  const out = join(dir, 'j.plan');
  const ttls = (): number[] => readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('EXPIRE')).map((l) => Number(l.split(' ')[2]));
  const stats = (v: number[]): { min: number; max: number; distinct: number; mean: number } =>
    ({ min: Math.min(...v), max: Math.max(...v), distinct: new Set(v).size, mean: v.reduce((a, b) => a + b, 0) / v.length });

  plan(inv, out, { where: "pattern = 's:{n}'", action: 'expire', ttl: 3600 });
  const a = ttls();
  const s = stats(a);
  assert.equal(a.length, 1500);
  assert.ok(s.min >= 3240 && s.max <= 3960, JSON.stringify(s));
  assert.ok(s.distinct > 400 && s.max - s.min > 600, `spread over the whole range: ${JSON.stringify(s)}`);
  assert.ok(Math.abs(s.mean - 3600) < 30, `centred: ${s.mean}`);
  assert.match(readFileSync(out, 'utf8'), /^# action: expire \(EXPIRE 3600 NX on keys without a TTL, the TTLs spread over \+-10 % \(--jitter 10\)/m);
  plan(inv, out, { where: "pattern = 's:{n}'", action: 'expire', ttl: 3600 });
  assert.deepEqual(ttls(), a, 'the same plan from the same inventory');

  plan(inv, out, { where: "pattern = 's:{n}'", action: 'expire', ttl: 3600, jitter: 0 });
  assert.deepEqual(new Set(ttls()), new Set([3600]));
  plan(inv, out, { where: "pattern = 's:{n}' AND key < CAST('s:2' AS BLOB)", action: 'expire', ttl: 3600 });
  assert.deepEqual(new Set(ttls()), new Set([3600]), 'a small plan: one TTL unless --jitter is given');

  plan(inv, out, { where: "pattern = 'c:{n}'", action: 'cap-ttl', ttl: 3600, jitter: 20 });
  const c = stats(ttls());
  assert.ok(c.min >= 2880 && c.max <= 3600 && c.distinct > 100, `a cap is never exceeded: ${JSON.stringify(c)}`);
  assert.throws(() => plan(inv, out, { where: '1', action: 'expire', ttl: 60, jitter: 150 }), /--jitter 150: expected a percentage/);
});
