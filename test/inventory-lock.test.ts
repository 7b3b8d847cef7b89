/** Two `index` runs into one inventory: the second waits for the first (saying so), both report what happened. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { lockInventory } from '../src/inventory/lock.js';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');

function index(dump: string, out: string): Promise<{ code: number | null; err: string }> {
  return new Promise((done) => {
    const c = spawn('node', [cli, 'index', dump, '--out', out, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('close', (code) => done({ code, err }));
  });
}

test('concurrent index runs into one inventory both complete, one after the other', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inv = join(dir, 'inv.sqlite');
  const dumps = ['redis-7.4.1', 'redis-7.2.6', 'valkey-8.0.1'].map((n, i) => {
    const p = join(dir, `${i}.rdb`);
    copyFileSync(join(root, 'fixtures', 'servers', n, 'dump.rdb'), p);
    return p;
  });
  assert.equal((await index(join(root, 'fixtures', 'sample.rdb'), inv)).code, 0);
  const runs = await Promise.all(dumps.map((d) => index(d, inv)));
  for (const r of runs) assert.equal(r.code, 0, r.err);
  assert.ok(runs.some((r) => /another rdbscope index \(pid \d+\) is writing to this inventory; waiting/.test(r.err)), 'one run waited');
  const db = new Database(inv, { readonly: true });
  const rows = db.prepare("SELECT status, count(*) AS n FROM snapshots GROUP BY status").all();
  db.close();
  assert.deepEqual(rows, [{ status: 'complete', n: 4 }]);
  assert.equal(existsSync(`${inv}.lock`), false, 'the lock is released');
});

test('a lock left by a process that is gone is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-lock-'));
  const out = join(dir, 'inv.sqlite');
  writeFileSync(`${out}.lock`, '999999999\n');
  const waits: string[] = [];
  const lock = await lockInventory(out, (m) => waits.push(m));
  assert.deepEqual(waits, []);
  lock.release();
  assert.equal(existsSync(`${out}.lock`), false);
  rmSync(dir, { recursive: true, force: true });
});
