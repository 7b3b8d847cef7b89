/** No command writes over its own input, or over an inventory or a dump it was not asked to create (--force). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const run = (...args: string[]): { code: number; err: string } => {
  const r = spawnSync('node', [cli, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, err: r.stderr };
};

test('plan, metrics and report refuse to overwrite their inventory, another inventory or a dump; --force for the latter', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-out-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inv = join(dir, 'inv.sqlite');
  assert.equal(run('index', join(root, 'fixtures', 'sample.rdb'), '--out', inv, '--quiet').code, 0);
  const other = join(dir, 'other.sqlite');
  copyFileSync(inv, other);
  const dump = join(dir, 'dump.rdb');
  copyFileSync(join(root, 'fixtures', 'sample.rdb'), dump);
  const before = [inv, other, dump].map((p) => readFileSync(p));
  const plan = (out: string, ...more: string[]): { code: number; err: string } =>
    run('plan', '--in', inv, '--where', "type = 'string'", '--action', 'unlink', '--out', out, ...more);
  const cases: Array<[string, { code: number; err: string }, RegExp]> = [
    ['plan over its inventory', plan(inv), /is this command's input/],
    ['plan over its inventory, even with --force', plan(inv, '--force'), /is this command's input/],
    ['plan over another inventory', plan(other), /is an SQLite file .*--force/],
    ['plan over a dump', plan(dump), /is an RDB dump.*--force/],
    ['metrics over its inventory', run('metrics', '--in', inv, '--out', inv), /is this command's input/],
    ['metrics over a dump', run('metrics', '--in', inv, '--out', dump), /is an RDB dump/],
    ['report --html over its inventory', run('report', '--in', inv, '--html', inv), /is this command's input/],
    ['report --html over another inventory', run('report', '--in', inv, '--html', other), /is an SQLite file/],
  ];
  for (const [what, r, re] of cases) {
    assert.equal(r.code, 2, what); // a usage error
    assert.match(r.err, re, what);
    assert.equal(r.err.trim().split('\n').length, 1, what);
  }
  [inv, other, dump].forEach((p, i) => assert.ok(readFileSync(p).equals(before[i]!), `${p} unchanged`));
  // A plan over an older plan is fine; --force overwrites a dump it was told to.
  const p = join(dir, 'p.plan');
  writeFileSync(p, 'old plan\n');
  assert.equal(plan(p).code, 0);
  assert.equal(plan(dump, '--force').code, 0);
  assert.match(readFileSync(dump, 'utf8'), /^# rdbscope cleanup plan/);
});
