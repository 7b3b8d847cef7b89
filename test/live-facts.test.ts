/**
 * Server facts from real redis-server processes: recorded by index --url and by `rdbscope facts`, CONFIG renamed
 * away recorded as refused (not fatal), the rules on facts firing on servers set up to trigger them and silent
 * without facts, the scorecard, and --calibrate against MEMORY USAGE.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { haveRedisServer, resp, startRedis, type RedisInstance } from './helpers/redis.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')] as const;
const noRedis = haveRedisServer() ? {} : { skip: 'no redis-server' };
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-facts-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function facts(file: string, snapshot: number): Map<string, { value: string | null; refused: string | null; source: string; read_at: string }> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT name, value, refused, source, read_at FROM server_facts WHERE snapshot_id = ?').all(snapshot) as Array<{ name: string; value: string | null; refused: string | null; source: string; read_at: string }>;
    return new Map(rows.map((r) => [r.name, r]));
  } finally {
    db.close();
  }
}

function indexUrl(r: RedisInstance, out: string, extra: string[] = []): number {
  const res = cli(['index', '--url', r.url, '-o', out, '-q', '--format', 'json', '--allow-primary', ...extra]);
  assert.equal(res.status, 0, res.stderr);
  return (JSON.parse(res.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
}

test('index --url records INFO, MEMORY STATS and CONFIG GET with the snapshot; facts --snapshot records them for a dump indexed earlier', noRedis, async (t) => {
  const r = await startRedis(['--repl-diskless-sync-delay', '0', '--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru', '--hash-max-listpack-entries', '200']);
  t.after(() => r.stop());
  r.pipe(Buffer.concat(Array.from({ length: 300 }, (_, i) => resp('SET', `k:${i}`, 'v'.repeat(i)))));
  const out = join(dir, 'facts.sqlite');
  const id = indexUrl(r, out);
  const f = facts(out, id);
  assert.equal(f.get('config.maxmemory')!.value, String(64 << 20));
  assert.equal(f.get('config.maxmemory-policy')!.value, 'allkeys-lru');
  assert.equal(f.get('config.hash-max-listpack-entries')!.value, '200');
  assert.equal(f.get('config.activedefrag')!.value, 'no');
  assert.equal(f.get('config.list-compress-depth')!.value, '0');
  assert.equal(f.get('info.server.redis_version')!.value, r.cli('INFO', 'server').match(/redis_version:(\S+)/)![1]);
  assert.match(f.get('info.keyspace.db0')!.value!, /^keys=300,/);
  assert.ok(Number(f.get('info.memory.used_memory')!.value) > 0);
  assert.ok(f.has('info.persistence.rdb_changes_since_last_save'));
  assert.ok(f.has('info.replication.role'));
  assert.ok(f.has('info.stats.evicted_keys'));
  assert.ok(Number(f.get('memory_stats.replication.backlog')!.value) >= 0);
  assert.ok(f.has('memory_stats.db.0.overhead.hashtable.main'));
  assert.ok(Number(f.get('memory_stats.fragmentation')!.value) > 0);
  for (const row of f.values()) {
    assert.equal(row.source, r.url);
    assert.match(row.read_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(row.refused, null);
  }

  // a dump of the same server indexed from its file, its facts recorded afterwards
  const file = join(dir, 'facts.rdb');
  writeFileSync(file, readFileSync(r.save()));
  const idx = cli(['index', file, '-o', out, '-q', '--format', 'json']);
  assert.equal(idx.status, 0, idx.stderr);
  const fileId = (JSON.parse(idx.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
  assert.equal(facts(out, fileId).size, 0);
  const shown = cli(['facts', '--in', out, '--snapshot', String(fileId)]);
  assert.match(shown.stdout, /no server facts recorded/);
  const rec = cli(['facts', '--url', r.url, '--in', out, '--snapshot', String(fileId)]);
  assert.equal(rec.status, 0, rec.stderr);
  assert.match(rec.stdout, /maxmemory +64\.0 MiB, [\d.]+ % used, headroom [\d.]+ MiB, policy allkeys-lru/);
  assert.equal(facts(out, fileId).get('config.maxmemory')!.value, String(64 << 20));
  const json = JSON.parse(cli(['facts', '--in', out, '--snapshot', String(fileId), '--format', 'json']).stdout) as { server: { maxmemory: number; policy: string } };
  assert.equal(json.server.maxmemory, 64 << 20);
  assert.equal(json.server.policy, 'allkeys-lru');
  // recorded again: replaced, not doubled
  const before = facts(out, fileId).size;
  assert.equal(cli(['facts', '--url', r.url, '--in', out, '--snapshot', String(fileId)]).status, 0);
  const db = new Database(out, { readonly: true });
  assert.ok(Math.abs((db.prepare('SELECT count(*) FROM server_facts WHERE snapshot_id = ?').pluck().get(fileId) as number) - before) < 5);
  db.close();
});

test('CONFIG renamed away: recorded as refused, the rest recorded, the snapshot indexed', noRedis, async (t) => {
  const r = await startRedis(['--repl-diskless-sync-delay', '0', '--rename-command', 'CONFIG', '']);
  t.after(() => r.stop());
  r.cli('SET', 'a', '1');
  const out = join(dir, 'noconfig.sqlite');
  const res = cli(['index', '--url', r.url, '-o', out, '--allow-primary', '--format', 'json']);
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stderr, '');
  const id = (JSON.parse(res.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
  const f = facts(out, id);
  assert.equal(f.get('CONFIG GET maxmemory')!.value, null);
  assert.match(f.get('CONFIG GET maxmemory')!.refused!, /unknown command/i);
  assert.match(f.get('CONFIG GET activedefrag')!.refused!, /unknown command/i);
  assert.ok(![...f.keys()].some((n) => n.startsWith('config.')));
  assert.ok(f.has('info.memory.used_memory'));
  assert.ok(f.has('memory_stats.peak.allocated'));
  const shown = cli(['facts', '--in', out]);
  assert.match(shown.stdout, /refused +CONFIG GET: .*unknown command/i);
  assert.equal(shown.stdout.match(/refused/g)!.length, 1, 'one line for the whole of CONFIG');
});
