import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { sqliteError } from '../src/inventory/db.js';
import { intText } from '../src/output/dump.js';
import { RdbWriter } from './helpers/rdbWriter.js';
import { AppendLog } from '../src/apply/append-log.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')] as const;
const dir = mkdtempSync(join(tmpdir(), 'rdbscope-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('index: what was indexed goes to stdout, what was not to stderr with the rdbscope: prefix', () => {
  const good = join(dir, 'good.rdb');
  const bad = join(dir, 'bad.rdb');
  const sample = readFileSync(join(ROOT, 'fixtures/sample.rdb'));
  writeFileSync(good, sample);
  writeFileSync(bad, sample.subarray(0, Math.floor(sample.length / 2)));
  const r = run('index', good, bad, '--out', join(dir, 'inv.sqlite'));
  assert.equal(r.status, 1);
  const out = String(r.stdout).trim().split('\n');
  assert.equal(out.length, 1, String(r.stdout));
  assert.match(out[0]!, /good\.rdb: snapshot \d+, /);
  const err = String(r.stderr).trim().split('\n');
  assert.match(err[0]!, /^rdbscope: .*bad\.rdb: .*offset \d+/);
  assert.equal(err[err.length - 1], 'rdbscope: 1 of 2 dumps were not indexed');
  assert.ok(err.every((l) => l.startsWith('rdbscope: ')), String(r.stderr));
});

test('an expire time of -2^63 ms prints as its exact digits, in JSON lines and CSV', () => {
  assert.equal(intText(-(2 ** 63)), '-9223372036854775808');
  assert.equal(intText(1_700_000_000_123), '1700000000123');
  assert.equal(intText(null), 'null');
  const w = new RdbWriter('REDIS', 9);
  w.aux('redis-ver', '7.0.15').selectDb(0).expireMs(-(2 ** 63)).key(0, 'k').str('v');
  const file = join(dir, 'neg.rdb');
  writeFileSync(file, w.end());
  const j = run('dump', file, '--format', 'jsonl');
  assert.equal(j.status, 0, String(j.stderr));
  assert.match(String(j.stdout), /"expires_at_ms":-9223372036854775808,/);
  const c = run('dump', file, '--format', 'csv');
  assert.match(String(c.stdout), /,-9223372036854775808,/);
});

test('an inventory that cannot be written is called read-only, not unusable', () => {
  const e = (code: string, message: string): Error => Object.assign(new Error(message), { code });
  assert.match(sqliteError('inv.sqlite', e('SQLITE_READONLY', 'attempt to write a readonly database')).message,
    /^inv\.sqlite: cannot write to the inventory: the file or its directory is read-only \(attempt to write a readonly database\)$/);
  assert.match(sqliteError('inv.sqlite', e('SQLITE_CANTOPEN', 'unable to open database file')).message, /^inv\.sqlite: cannot open the inventory/);
  assert.match(sqliteError('inv.sqlite', e('SQLITE_NOTADB', 'file is not a database')).message, /not a usable rdbscope inventory/);
});

test('append-only logs: a torn tail is cut on open, a failed write says so and keeps nothing of its batch', () => {
  const f = join(dir, 'log.jsonl');
  writeFileSync(f, '{"a":1}\n{"b":2}\n{"c":');
  const log = AppendLog.open(f, 'journal');
  assert.equal(log.cut, 5);
  assert.equal(log.empty, false);
  log.append(['{"d":4}']);
  log.close();
  assert.equal(readFileSync(f, 'utf8'), '{"a":1}\n{"b":2}\n{"d":4}\n');
  writeFileSync(f, '{"only":"torn');
  const again = AppendLog.open(f, 'journal');
  assert.equal(again.empty, true, 'a torn first record leaves an empty file');
  again.close();
  assert.equal(readFileSync(f, 'utf8'), '');
  // /dev/full: every write fails with ENOSPC
  const full = AppendLog.open('/dev/full', 'backup file');
  assert.throws(() => full.append(['{"x":1}']), { name: 'UserError', message: /^\/dev\/full: cannot write \(ENOSPC\); nothing of this batch was kept, and its commands were not sent$/ });
  full.close();
});
