/**
 * `rdbscope diff`, `trend` and `metrics` on two real-server dumps of one dataset, before and after a scripted change:
 * every figure is checked against what the script did (and against the inventory's own per-key rows).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { haveRedisServer, resp, startRedis } from './helpers/redis.js';
import { MONTH_S, monthlyGrowth, spanText, tooShortForRate } from '../src/report/history-load.js';
import { fmtGrowth } from '../src/report/diff.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const skip = haveRedisServer() ? false : 'redis-server absent';

// The dataset and the scripted change.
const USERS = 300, SESSIONS = 200, CACHES = 100;
const ADD_USERS = 40, DEL_SESSIONS = 25, TTL_USERS = 30, PERSIST_CACHES = 5;
const BIN_KEY = Buffer.from([0xff, 0x00, 0x62, 0x0a]);

let dir = '';
let inv = '';
let inv2 = '';

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-hist-'));
  inv = join(dir, 'inv.sqlite');
  inv2 = join(dir, 'series.sqlite');
  const r = await startRedis(['--enable-debug-command', 'yes']);
  try {
    const load: Buffer[] = [];
    for (let i = 1; i <= USERS; i++) load.push(resp('SET', `user:${i}`, 'u'.repeat(40 + (i % 7))));
    for (let i = 1; i <= SESSIONS; i++) load.push(resp('HSET', `session:${i}`, 'id', String(i), 'agent', 'x'.repeat(i % 13)));
    for (let i = 1; i <= CACHES; i++) load.push(resp('SET', `cache:${i}`, 'c'.repeat(20), 'EX', '1000000'));
    load.push(resp('SET', BIN_KEY, 'binary'));
    r.pipe(Buffer.concat(load));
    copyFileSync(r.save(), join(dir, 'before.rdb'));
    await sleep(1100); // the dumps' ctime (seconds) must differ
    const change: Buffer[] = [];
    for (let i = USERS + 1; i <= USERS + ADD_USERS; i++) change.push(resp('SET', `user:${i}`, 'u'.repeat(40 + (i % 7))));
    for (let i = 1; i <= DEL_SESSIONS; i++) change.push(resp('DEL', `session:${i}`));
    for (let i = 1; i <= TTL_USERS; i++) change.push(resp('EXPIRE', `user:${i}`, '500000'));
    for (let i = 1; i <= PERSIST_CACHES; i++) change.push(resp('PERSIST', `cache:${i}`));
    change.push(resp('EXPIRE', BIN_KEY, '500000'));
    r.pipe(Buffer.concat(change));
    // One key that has expired but is still present when the dump is written (active expiry off, never read).
    r.cli('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    r.cli('SET', 'ghost:1', 'g'.repeat(100), 'PX', '1');
    await sleep(1100); // ctime has second precision: expired before the dump's (truncated) second
    copyFileSync(r.save(), join(dir, 'after.rdb'));
  } finally {
    await r.stop();
  }
  for (const l of ['before', 'after']) {
    const x = run('index', join(dir, `${l}.rdb`), '--out', inv, '--label', l, '--quiet');
    assert.equal(x.status, 0, x.stderr);
    // The same two dumps as one series (label 'prod'), for `trend`.
    const y = run('index', join(dir, `${l}.rdb`), '--out', inv2, '--label', 'prod', '--quiet');
    assert.equal(y.status, 0, y.stderr);
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Row { pattern: string; keysBefore: number; keysAfter: number; memoryBefore: number; memoryAfter: number;
  newKeys: number; newMemory: number; goneKeys: number; goneMemory: number; ttlAdded: number; ttlRemoved: number;
  growthPerMonth: number | null }

/** Figures straight from the inventory's key rows, selected by the key names the script used. */
function facts(): { ids: Record<string, number>; ctime: Record<string, number>; pat: (prefix: string) => string;
  sum: (label: string, where: string) => number } {
  const db = new Database(inv, { readonly: true });
  try {
    const snaps = db.prepare("SELECT id, label, ctime FROM snapshots WHERE status = 'complete'").all() as Array<{ id: number; label: string; ctime: number }>;
    const ids = Object.fromEntries(snaps.map((s) => [s.label, s.id]));
    const ctime = Object.fromEntries(snaps.map((s) => [s.label, s.ctime]));
    const patterns = new Map<string, string>();
    for (const prefix of ['user', 'session', 'cache']) {
      // Keys without an inferred pattern (no inference ran) are grouped by their first segment: 'user:*'.
      const ps = db.prepare("SELECT DISTINCT COALESCE(pattern, ? || ':*') AS p FROM keys WHERE key_text LIKE ? || ':%'").all(prefix, prefix) as Array<{ p: string }>;
      assert.equal(ps.length, 1, `one pattern for ${prefix}:*, got ${JSON.stringify(ps)}`);
      patterns.set(prefix, ps[0]!.p);
    }
    const sums = new Map<string, number>();
    const sum = (label: string, where: string): number => {
      const k = `${label}|${where}`;
      if (!sums.has(k)) {
        const d2 = new Database(inv, { readonly: true });
        sums.set(k, (d2.prepare(`SELECT COALESCE(SUM(memory), 0) AS m FROM keys WHERE snapshot_id = ? AND (${where})`).get(ids[label]) as { m: number }).m);
        d2.close();
      }
      return sums.get(k)!;
    };
    return { ids, ctime, pat: (p) => patterns.get(p)!, sum };
  } finally {
    db.close();
  }
}

test('diff: every figure matches the scripted change', { skip }, () => {
  const x = run('diff', '--in', inv, '--format', 'json');
  assert.equal(x.status, 0, x.stderr);
  const out = JSON.parse(x.stdout) as { from: { label: string }; to: { label: string }; months: number; patterns: Row[]; total: Row };
  assert.equal(out.from.label, 'before');
  assert.equal(out.to.label, 'after');
  const f = facts();
  assert.ok(f.ctime.after! > f.ctime.before!, 'the two dumps have distinct ctimes');
  const months = (f.ctime.after! - f.ctime.before!) / MONTH_S;
  assert.ok(Math.abs(out.months - months) < 1e-12);
  const byPat = new Map(out.patterns.map((p) => [p.pattern, p]));

  const u = byPat.get(f.pat('user'))!;
  const userMem = (l: string): number => f.sum(l, "key_text LIKE 'user:%'");
  assert.deepEqual([u.keysBefore, u.keysAfter, u.newKeys, u.goneKeys, u.ttlAdded, u.ttlRemoved],
    [USERS, USERS + ADD_USERS, ADD_USERS, 0, TTL_USERS, 0]);
  assert.equal(u.memoryBefore, userMem('before'));
  assert.equal(u.memoryAfter, userMem('after'));
  assert.equal(u.newMemory, f.sum('after', `key_text LIKE 'user:%' AND CAST(substr(key_text, 6) AS INTEGER) > ${USERS}`));
  assert.ok(u.newMemory > 0 && u.memoryAfter > u.memoryBefore);
  assert.ok(Math.abs(u.growthPerMonth! - (u.memoryAfter - u.memoryBefore) / u.memoryBefore / months) < 1e-9);

  const s = byPat.get(f.pat('session'))!;
  assert.deepEqual([s.keysBefore, s.keysAfter, s.newKeys, s.goneKeys, s.ttlAdded, s.ttlRemoved],
    [SESSIONS, SESSIONS - DEL_SESSIONS, 0, DEL_SESSIONS, 0, 0]);
  assert.equal(s.goneMemory, f.sum('before', `key_text LIKE 'session:%' AND CAST(substr(key_text, 9) AS INTEGER) <= ${DEL_SESSIONS}`));
  assert.equal(s.memoryBefore - s.goneMemory, s.memoryAfter, 'the kept sessions did not change');
  assert.ok(s.growthPerMonth! < 0);

  const c = byPat.get(f.pat('cache'))!;
  assert.deepEqual([c.keysBefore, c.keysAfter, c.newKeys, c.goneKeys, c.ttlAdded, c.ttlRemoved],
    [CACHES, CACHES, 0, 0, 0, PERSIST_CACHES]);

  // The binary key is matched on its exact bytes: not new, not gone, one TTL added.
  const all = f.sum('before', '1');
  assert.equal(out.total.keysBefore, USERS + SESSIONS + CACHES + 1);
  assert.equal(out.total.keysAfter, USERS + ADD_USERS + SESSIONS - DEL_SESSIONS + CACHES + 1 + 1 /* ghost */);
  assert.deepEqual([out.total.newKeys, out.total.goneKeys, out.total.ttlAdded, out.total.ttlRemoved],
    [ADD_USERS + 1, DEL_SESSIONS, TTL_USERS + 1, PERSIST_CACHES]);
  assert.equal(out.total.memoryBefore, all);
  assert.equal(out.total.memoryAfter, f.sum('after', '1'));

  // Biggest growers first.
  const changes = out.patterns.map((p) => p.memoryAfter - p.memoryBefore);
  assert.deepEqual(changes, [...changes].sort((a, b) => b - a));
  assert.equal(out.patterns[0]!.pattern, f.pat('user'));
  assert.equal(out.patterns.at(-1)!.pattern, f.pat('session'));
});

test('diff: --from/--to by label or id, reversed; table and csv; bad names are one line', { skip }, () => {
  const f = facts();
  const rev = JSON.parse(run('diff', '-i', inv, '--from', 'after', '--to', String(f.ids.before), '-f', 'json').stdout) as { total: Row };
  assert.deepEqual([rev.total.newKeys, rev.total.goneKeys, rev.total.ttlAdded, rev.total.ttlRemoved],
    [DEL_SESSIONS, ADD_USERS + 1, PERSIST_CACHES, TTL_USERS + 1]);
  const csv = run('diff', '-i', inv, '-f', 'csv').stdout.trim().split('\n');
  assert.match(csv[0]!, /^pattern,keys_before,keys_after,/);
  assert.ok(csv.some((l) => l.startsWith(`${f.pat('session')},${SESSIONS},${SESSIONS - DEL_SESSIONS},`)), csv.join('\n'));
  const t = run('diff', '-i', inv);
  assert.equal(t.status, 0);
  assert.match(t.stdout, /^from before \(#\d+\) to after \(#\d+\)/);
  const bad = run('diff', '-i', inv, '--from', 'nosuch');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /no complete snapshot with id or label 'nosuch'/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

test('trend: a two-snapshot series gives the diff growth, flagged over the threshold', { skip }, () => {
  const d = JSON.parse(run('diff', '-i', inv, '-f', 'json').stdout) as { patterns: Row[] };
  const x = run('trend', '-i', inv2, '--source', 'prod', '--threshold', '0', '-f', 'json');
  assert.equal(x.status, 0, x.stderr);
  const t = JSON.parse(x.stdout) as { groups: Array<{ group: string; snapshots: unknown[]; rows: Array<{ pattern: string;
    keysFirst: number; keysLast: number; memoryFirst: number; memoryLast: number; growthPerMonth: number | null; flagged: boolean }> }> };
  assert.equal(t.groups.length, 1);
  assert.equal(t.groups[0]!.group, 'prod');
  assert.equal(t.groups[0]!.snapshots.length, 2);
  const rows = new Map(t.groups[0]!.rows.map((r) => [r.pattern, r]));
  assert.equal(rows.size, d.patterns.length);
  for (const p of d.patterns) {
    const r = rows.get(p.pattern)!;
    assert.deepEqual([r.keysFirst, r.keysLast, r.memoryFirst, r.memoryLast], [p.keysBefore, p.keysAfter, p.memoryBefore, p.memoryAfter]);
    assert.ok(r.growthPerMonth === p.growthPerMonth || Math.abs(r.growthPerMonth! - p.growthPerMonth!) < 1e-9);
    assert.equal(r.flagged, (p.memoryBefore === 0 && p.memoryAfter > 0) || (p.growthPerMonth !== null && p.growthPerMonth > 0), p.pattern);
  }
  assert.equal(rows.get(facts().pat('user'))!.flagged, true);
  assert.equal(rows.get(facts().pat('session'))!.flagged, false);
  const ghost = [...rows.values()].find((r) => r.memoryFirst === 0 && r.keysLast === 1)!;
  assert.equal(ghost.flagged, true, 'a pattern that appeared is flagged');
  const none = run('trend', '-i', inv2, '--source', 'nosuch');
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /no complete snapshot with label or source 'nosuch'/);
});

/** Parses an exposition, checking its syntax: HELP and TYPE once per family, before its contiguous samples. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const done = new Set<string>();
  let current = '';
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') {
        assert.ok(!done.has(meta[2]!), `family ${meta[2]} declared twice`);
        done.add(meta[2]!);
        current = meta[2]!;
      } else assert.equal(meta[3], 'gauge');
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\}) (\S+)$/.exec(line);
    assert.ok(m, `not a valid sample line: ${line}`);
    assert.equal(m[1], current, `sample of ${m[1]} outside its family`);
    samples.set(m[1]! + m[2]!, Number(m[3]));
  }
  return samples;
}

test('metrics: valid exposition whose figures match the script', { skip }, () => {
  const x = run('metrics', '-i', inv);
  assert.equal(x.status, 0, x.stderr);
  const m = parseExposition(x.stdout);
  const f = facts();
  const sel = (label: string, pattern?: string): string =>
    `{snapshot="${label}",snapshot_id="${f.ids[label]}",source="${join(dir, `${label}.rdb`)}"${pattern !== undefined ? `,pattern="${pattern}"` : ''}}`;
  const total = USERS + ADD_USERS + SESSIONS - DEL_SESSIONS + CACHES + 2;
  assert.equal(m.get('rdbscope_snapshot_keys' + sel('after')), total);
  assert.equal(m.get('rdbscope_snapshot_memory_bytes' + sel('after')), f.sum('after', '1'));
  assert.equal(m.get('rdbscope_snapshot_ctime_seconds' + sel('before')), f.ctime.before);
  const withTtl = TTL_USERS + CACHES - PERSIST_CACHES + 1 /* binary */ + 1 /* ghost */;
  assert.equal(m.get('rdbscope_snapshot_keys_with_ttl' + sel('after')), withTtl);
  assert.ok(Math.abs(m.get('rdbscope_snapshot_ttl_ratio' + sel('after'))! - withTtl / total) < 1e-12);
  const u = f.pat('user');
  assert.equal(m.get('rdbscope_pattern_keys' + sel('after', u)), USERS + ADD_USERS);
  assert.ok(Math.abs(m.get('rdbscope_pattern_ttl_ratio' + sel('after', u))! - TTL_USERS / (USERS + ADD_USERS)) < 1e-12);
  assert.equal(m.get('rdbscope_pattern_ttl_ratio' + sel('before', u)), 0);
  assert.equal(m.get('rdbscope_pattern_largest_key_bytes' + sel('after', u)), maxMemory('after', "key_text LIKE 'user:%'"));
  assert.equal(m.get('rdbscope_snapshot_largest_key_bytes' + sel('after')), maxMemory('after', '1'));
  // Only the ghost key had expired when the dump was written.
  const ghost = f.sum('after', "key_text = 'ghost:1'");
  assert.ok(ghost > 0);
  assert.equal(m.get('rdbscope_snapshot_expired_bytes' + sel('after')), ghost);
  assert.equal(m.get('rdbscope_snapshot_expired_bytes' + sel('before')), 0);
  // No series of two snapshots under one label here: no growth samples.
  assert.ok(![...m.keys()].some((k) => k.startsWith('rdbscope_pattern_memory_growth')));
  const g = parseExposition(run('metrics', '-i', inv2).stdout);
  assert.ok([...g.keys()].some((k) => k.startsWith(`rdbscope_pattern_memory_growth_monthly_ratio{group="prod",pattern="${u}"}`)));
});

function maxMemory(label: string, where: string): number {
  const db = new Database(inv, { readonly: true });
  try {
    const id = (db.prepare('SELECT id FROM snapshots WHERE label = ?').get(label) as { id: number }).id;
    return (db.prepare(`SELECT MAX(memory) AS m FROM keys WHERE snapshot_id = ? AND (${where})`).get(id) as { m: number }).m;
  } finally {
    db.close();
  }
}

test('metrics: label values are escaped', async () => {
  const { escapeLabel } = await import('../src/report/metrics.js');
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('snapshots less than a day apart: tables show no monthly growth rate (an hour times 730 is noise), the span in hours', () => {
  const hour = 1 / (30.4375 * 24);
  assert.equal(fmtGrowth(monthlyGrowth(100, 50, hour), hour), '-');
  assert.equal(fmtGrowth(monthlyGrowth(100, 200, 0.5), 0.5), '+200.0 %/mo');
  assert.ok(tooShortForRate(hour) && !tooShortForRate(2 / 30.4375));
  assert.equal(spanText(hour), '1.0 hours');
  assert.equal(spanText(1), '30.4 days');
});
