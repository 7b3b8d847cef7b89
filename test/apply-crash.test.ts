/**
 * An apply killed part-way (SIGKILL, no chance to clean up) and run again: the journal makes the second run start
 * after the last finished line, every line is finished exactly once, and the backup still restores every key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveRedisServer, resp } from './helpers/redis.js';
import { liveServer } from './helpers/live.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const skip = !haveRedisServer() ? 'redis-server not installed' : !existsSync(join(ROOT, 'dist/cli.js')) ? 'dist/ not built (npm run build): index runs from dist' : false;
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli.ts')];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const argv = args[0] === 'index' ? [join(ROOT, 'dist/cli.js'), ...args] : [...CLI, ...args];
  return spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
}

test('an apply killed mid-run resumes from its journal and applies each line once', { skip }, async (t) => {
  const { dir, r, c } = await liveServer(t, 'rdbscope-crash-');
  const N = 300;
  const keys = Array.from({ length: N }, (_, i) => Buffer.from(i % 3 === 0 ? `k:${i} "odd"\n\xff` : `k:${i}`, 'latin1'));
  r.pipe(Buffer.concat(keys.map((k, i) => resp('SET', k, `value ${i}`))));
  const dumps = new Map(await Promise.all(keys.map(async (k) => [k.toString('base64'), (await c.dumpBuffer(k))!] as const)));
  const inv = join(dir, 'inv.sqlite');
  const plan = join(dir, 'all.plan');
  assert.equal(run(['index', r.save(), '-o', inv, '-q']).status, 0);
  assert.equal(run(['plan', '--in', inv, '--where', '1', '--action', 'unlink', '--out', plan]).status, 0);

  // First run: slow, killed once some lines are done.
  const child = spawn(process.execPath, [...CLI, 'apply', plan, '--url', r.url, '--execute', '--rate', '40', '--format', 'json'], { cwd: ROOT });
  let seen = 0;
  let out = '';
  const killed = new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      seen = out.split('\n').length - 1;
      if (seen >= 80 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  await killed;
  assert.equal(child.signalCode, 'SIGKILL', `the first run was killed (it printed ${seen} lines)`);
  const left = await c.dbsize();
  assert.ok(left > 0 && left < N, `part-way: ${left} of ${N} keys left`);

  // Second run: no limit, finishes.
  const second = run(['apply', plan, '--url', r.url, '--execute', '--format', 'json']);
  assert.equal(second.status, 0, second.stderr);
  const outs = second.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = outs.pop()!.summary as Record<string, number>;
  assert.equal(await c.dbsize(), 0);
  assert.ok(summary['already-done']! >= 80, `journaled lines skipped: ${summary['already-done']}`);
  // A line re-sent after the kill can only be one in flight when it happened, and its guard saw the key gone.
  for (const o of outs.filter((x) => x.status === 'missing')) assert.equal(o.in_flight_before, true, JSON.stringify(o));
  assert.equal(summary.applied! + summary['already-done']! + summary.missing!, N);

  // The journal: each line finished exactly once across both runs.
  const journal = readFileSync(`${plan}.journal`, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as { line?: number; status?: string });
  const finished = journal.filter((j) => j.line !== undefined);
  assert.equal(finished.length, N);
  assert.equal(new Set(finished.map((j) => j.line)).size, N);

  // The journal and the backup belong to that server: another target is refused, not resumed.
  const other = run(['apply', plan, '--url', `redis://localhost:${r.port}`, '--execute']);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /this journal records a run against redis:\/\/127\.0\.0\.1:\d+, not redis:\/\/localhost:\d+; name another one with --journal/);
  const other2 = run(['apply', plan, '--url', `redis://localhost:${r.port}`, '--execute', '--journal', join(dir, 'j2')]);
  assert.match(other2.stderr, /holds backups from redis:\/\/127\.0\.0\.1:\d+, not redis:\/\/localhost:\d+; name another one with --backup/);

  // The backup brings every key back as it was.
  const restore = run(['restore', `${plan}.backup`, '--url', r.url]);
  assert.equal(restore.status, 0, restore.stderr);
  assert.equal(await c.dbsize(), N);
  for (const k of keys) assert.ok((await c.dumpBuffer(k))!.equals(dumps.get(k.toString('base64'))!), k.toString('latin1'));
});

test('a backup torn by a full disk: the next run cuts the torn record; restore skips and reports a broken one, restoring the rest', { skip }, async (t) => {
  const { dir, r, c } = await liveServer(t, 'rdbscope-torn-');
  const N = 40;
  const keys = Array.from({ length: N }, (_, i) => Buffer.from(`${i % 2 ? 'a' : 'b'}:${i}`));
  r.pipe(Buffer.concat(keys.map((k, i) => resp('SET', k, `value ${i}`))));
  const dumps = new Map(await Promise.all(keys.map(async (k) => [k.toString(), (await c.dumpBuffer(k))!] as const)));
  const inv = join(dir, 'inv.sqlite');
  const backup = join(dir, 'cleanup.backup');
  assert.equal(run(['index', r.save(), '-o', inv, '-q']).status, 0);
  for (const f of ['a', 'b']) {
    assert.equal(run(['plan', '--in', inv, '--where', `key_text LIKE '${f}:%'`, '--action', 'unlink', '--out', join(dir, `${f}.plan`)]).status, 0);
  }
  assert.equal(run(['apply', join(dir, 'a.plan'), '--url', r.url, '--execute', '--backup', backup]).status, 0);
  // What a write cut short by a full disk leaves: part of a record, no newline.
  appendFileSync(backup, '{"db":0,"key":"YjoxMA==","expiresAt":-1,"dump":"AAVi');
  const second = run(['apply', join(dir, 'b.plan'), '--url', r.url, '--execute', '--backup', backup]);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /cleanup\.backup: cut a torn last record \(\d+ bytes; its command was not sent\)/);
  assert.equal(await c.dbsize(), 0);
  const lines = readFileSync(backup, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'ends with a whole line');
  for (const l of lines) JSON.parse(l);
  assert.equal(lines.length, 1 + N);

  const restore = run(['restore', backup, '--url', r.url]);
  assert.equal(restore.status, 0, restore.stderr);
  assert.equal(await c.dbsize(), N);
  for (const k of keys) assert.ok((await c.dumpBuffer(k))!.equals(dumps.get(k.toString())!), k.toString());

  // A broken record between whole ones (as an older rdbscope could leave): reported, and every other key restored.
  await c.flushall();
  const broken = join(dir, 'broken.backup');
  writeFileSync(broken, [...lines.slice(0, 3), '{"db":0,"key":"eA==","dum', ...lines.slice(3), ''].join('\n'));
  const partial = run(['restore', broken, '--url', r.url]);
  assert.equal(partial.status, 1, partial.stderr);
  assert.match(partial.stderr, /^rdbscope: [^\n]*broken\.backup:4: not a backup record \(expected a JSON line\); skipped, every whole record is restored$/m);
  assert.match(partial.stdout, new RegExp(`restored ${N}, 0 already existed, 0 expired, 0 errors, 1 broken records skipped`));
  assert.equal(await c.dbsize(), N);
});
