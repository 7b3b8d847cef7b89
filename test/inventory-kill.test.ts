import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { haveRedisServer, resp, startRedis } from './helpers/redis.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')] as const;
let dir = '';
let small = '';
let big = '';
const BIG_KEYS = 150_000;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-kill-'));
  if (!haveRedisServer()) return;
  const r = await startRedis();
  try {
    r.pipe(Buffer.concat(Array.from({ length: 500 }, (_, i) => resp('SET', `small:${i}`, 'v'))));
    small = join(dir, 'small.rdb');
    copyFileSync(r.save(), small);
    r.cli('FLUSHALL');
    for (let i = 0; i < BIG_KEYS; i += 10_000) {
      r.pipe(Buffer.concat(Array.from({ length: 10_000 }, (_, j) => resp('HSET', `big:${i + j}`, 'f', String(j), 'g', 'x'.repeat(j % 64)))));
    }
    big = join(dir, 'big.rdb');
    copyFileSync(r.save(), big);
  } finally {
    await r.stop();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const noRedis = haveRedisServer() ? {} : { skip: 'no redis-server' };

function index(out: string, file: string, env: Record<string, string> = {}): ReturnType<typeof spawnSync> {
  return spawnSync(CLI[0], [...CLI.slice(1), 'index', file, '--out', out, '-q'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** The state a reader sees after a kill: the earlier snapshot whole, the killed one not complete and not in the views. */
function checkAfterKill(out: string): number {
  const db = new Database(out, { readonly: true });
  const snaps = db.prepare('SELECT id, source, status, key_count FROM snapshots ORDER BY id').all() as Array<{ id: number; source: string; status: string; key_count: number | null }>;
  assert.equal(snaps.length, 2);
  assert.deepEqual([snaps[0]!.status, snaps[0]!.key_count], ['complete', 500]);
  assert.equal(snaps[1]!.status, 'loading');
  assert.equal(snaps[1]!.key_count, null);
  const partial = db.prepare('SELECT count(*) FROM keys WHERE snapshot_id = ?').pluck().get(snaps[1]!.id) as number;
  assert.ok(partial < BIG_KEYS, `${partial} rows of the killed load`);
  assert.equal(db.prepare('SELECT count(*) FROM complete_keys').pluck().get(), 500);
  assert.deepEqual(db.prepare('SELECT snapshot_id, keys FROM memory_by_db').raw().all(), [[snaps[0]!.id, 500]]);
  db.close();
  return partial;
}

function checkRerun(out: string): void {
  const r = index(out, big);
  assert.equal(r.status, 0, String(r.stderr));
  const db = new Database(out, { readonly: true });
  assert.deepEqual(db.prepare('SELECT status, key_count FROM snapshots ORDER BY id').raw().all(), [['complete', 500], ['complete', BIG_KEYS]]);
  assert.equal(db.prepare('SELECT count(*) FROM complete_keys').pluck().get(), 500 + BIG_KEYS);
  assert.equal(db.prepare('SELECT count(*) FROM keys').pluck().get(), 500 + BIG_KEYS, 'the stale rows are gone');
  db.close();
  assert.ok(!existsSync(`${out}-wal`), 'the file stands alone after a load');
}

test('killed after N batches (test hook): no complete-looking snapshot, and a re-run succeeds', noRedis, () => {
  const out = join(dir, 'hook.sqlite');
  assert.equal(index(out, small).status, 0);
  const r = index(out, big, { RDBSCOPE_TEST_KILL_AFTER_BATCHES: '5' });
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(checkAfterKill(out), 5 * 2000);
  const q = spawnSync(CLI[0], [...CLI.slice(1), 'query', 'SELECT count(*) AS n FROM complete_keys', '--in', out, '-f', 'csv'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(q.stdout, 'n\n500\n', String(q.stderr));
  checkRerun(out);
});

test('a real SIGKILL in the middle of a load', noRedis, async () => {
  const out = join(dir, 'real.sqlite');
  assert.equal(index(out, small).status, 0);
  const child = spawn(CLI[0], [...CLI.slice(1), 'index', big, '--out', out, '-q'], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.once('exit', (_c, sig) => res(sig)));
  let partial = 0;
  for (let i = 0; i < 600 && partial === 0; i++) {
    await sleep(20);
    try {
      const db = new Database(out, { readonly: true });
      partial = db.prepare("SELECT count(*) FROM keys k JOIN snapshots s ON s.id = k.snapshot_id WHERE s.status = 'loading'").pluck().get() as number;
      db.close();
    } catch {
      // the writer holds a lock for a moment
    }
  }
  assert.ok(partial > 0, 'saw rows of the load in progress');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  checkAfterKill(out);
  checkRerun(out);
});

test('a new inventory killed half-way: no inventory at all, and a re-run builds it and removes the leftover', noRedis, () => {
  const out = join(dir, 'fresh.sqlite');
  const leftovers = (): string[] => readdirSync(dir).filter((n) => n.startsWith('fresh.sqlite.loading-'));
  const r = index(out, big, { RDBSCOPE_TEST_KILL_AFTER_BATCHES: '5' });
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(!existsSync(out), 'nothing that looks like an inventory');
  assert.equal(leftovers().length, 1, 'the half-made file, under its loading name');
  const again = index(out, big);
  assert.equal(again.status, 0, String(again.stderr));
  assert.deepEqual(leftovers(), [], 'the dead load\'s file was removed');
  const db = new Database(out, { readonly: true });
  assert.deepEqual(db.prepare('SELECT status, key_count FROM snapshots').raw().all(), [['complete', BIG_KEYS]]);
  assert.equal(db.prepare('SELECT count(*) FROM keys').pluck().get(), BIG_KEYS);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
  db.close();
});

test('Ctrl-C during a new inventory\'s load: exit 130, no inventory and no leftover file', noRedis, async () => {
  const out = join(dir, 'interrupted.sqlite');
  const loading = (): string[] => readdirSync(dir).filter((n) => n.startsWith('interrupted.sqlite.loading-'));
  const child = spawn(CLI[0], [...CLI.slice(1), 'index', big, '--out', out, '-q'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  for (let i = 0; i < 600 && loading().length === 0; i++) await sleep(20);
  assert.equal(loading().length, 1, 'the load started');
  child.kill('SIGINT'); // at once: the decoding thread alone takes longer than that to start

  assert.equal(await exited, 130, stderr);
  assert.ok(!existsSync(out), 'no inventory');
  assert.deepEqual(loading(), [], 'its half-made file is removed');
});

test('two dumps at a time killed mid-way: their part files hold the rows, no snapshot is complete, a re-run removes the parts', noRedis, () => {
  const out = join(dir, 'lanes.sqlite');
  const second = join(dir, 'big.rdb.gz');
  writeFileSync(second, gzipSync(readFileSync(big))); // the same keys in another file
  const parts = (): string[] => readdirSync(dir).filter((n) => n.startsWith('lanes.sqlite.part-'));
  const run = (env: Record<string, string>, ...files: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(CLI[0], [...CLI.slice(1), 'index', ...files, '--out', out, '-q', '--parallel', '2'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(index(out, small).status, 0);
  const r = run({ RDBSCOPE_TEST_KILL_AFTER_BATCHES: '30' }, big, second);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(parts().length >= 1, `the rows went to part files: ${readdirSync(dir).join(' ')}`);
  const db = new Database(out, { readonly: true });
  assert.deepEqual(db.prepare("SELECT count(*) FROM snapshots WHERE status = 'complete'").pluck().get(), 1);
  assert.equal(db.prepare('SELECT count(*) FROM keys').pluck().get(), 500, 'nothing of the killed loads in the inventory');
  db.close();
  const again = run({}, big, second);
  assert.equal(again.status, 0, String(again.stderr));
  assert.deepEqual(parts(), [], 'the dead run\'s part files were removed, this run\'s too');
  const db2 = new Database(out, { readonly: true });
  assert.deepEqual(db2.prepare('SELECT status, key_count FROM snapshots ORDER BY id').raw().all(), [['complete', 500], ['complete', BIG_KEYS], ['complete', BIG_KEYS]]);
  assert.equal(db2.prepare('SELECT count(*) FROM keys').pluck().get(), 500 + 2 * BIG_KEYS);
  db2.close();
});
