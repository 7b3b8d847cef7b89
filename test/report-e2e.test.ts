/**
 * End to end: dumps indexed by `rdbscope index`, then `recommend` and `report` checked against what the dataset
 * holds: fixtures/sample.rdb against the server's own listing (sample.expected.tsv), and a dump written by a
 * real redis-server filled here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveRedisServer, resp, startRedis } from './helpers/redis.js';

const ROOT = join(import.meta.dirname, '..');
const SAMPLE = join(ROOT, 'fixtures/sample.rdb');
const EXPECTED = join(ROOT, 'fixtures/sample.expected.tsv');
const DAY = 86_400;

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `rdbscope ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Finding { id: string; keys: number; memory: number; savings: number; rows: Array<{ pattern: string; keys: number; detail: string | null }> }
interface Bucket { label: string; keys: number; memory: number }

function findingsOf(inv: string): Map<string, Finding> {
  const j = JSON.parse(cli('recommend', '--in', inv, '--format', 'json')) as { findings: Finding[] };
  return new Map(j.findings.map((f) => [f.id, f]));
}

test('fixtures/sample.rdb: findings and report match the server\'s listing of the dump', { skip: existsSync(SAMPLE) && existsSync(EXPECTED) ? false : 'fixtures/sample.rdb absent' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-e2e-'));
  const inv = join(dir, 'inv.sqlite');
  cli('index', SAMPLE, '--out', inv, '--quiet');
  const rows = readFileSync(EXPECTED, 'utf8').trim().split('\n').slice(1).map((l) => {
    const [db, key, type, encoding, length, exp, mem, idle] = l.split('\t');
    return { db: Number(db), key: key!, type: type!, encoding: encoding!, length: Number(length), exp: exp ? Number(exp) : null,
      mem: Number(mem), idle: idle ? Number(idle) : null };
  });
  const f = findingsOf(inv);
  const count = (p: (r: (typeof rows)[number]) => boolean): number => rows.filter(p).length;

  assert.equal(f.get('cold-keys')?.keys, count((r) => r.exp === null && (r.idle ?? 0) >= 30 * DAY));
  assert.equal(f.get('large-string')?.keys, count((r) => r.type === 'string' && r.length > 102_400));
  assert.equal(f.get('large-set')?.keys, count((r) => r.type === 'set' && r.length > 1000));
  assert.equal(f.get('large-list')?.keys, count((r) => r.type === 'list' && r.length > 1000));
  assert.equal(f.get('encoding-listpack')?.keys, count((r) => ((r.type === 'zset' && r.encoding === 'skiplist') ||
    (r.type === 'hash' && r.encoding === 'hashtable')) && r.length <= 512));
  assert.deepEqual(f.get('multiple-dbs')?.rows.map((r) => [r.pattern, r.keys]), [['db 1', count((r) => r.db === 1)]]);
  const temporary = /sess|token|otp|nonce|csrf|captcha|cache|tmp|temp:|ratelimit|rate_limit|throttle|^lock:|:lock/i;
  assert.equal(f.get('ttl-session')?.keys, count((r) => r.exp === null && temporary.test(r.key)));
  assert.equal(f.get('old-server'), undefined, 'written by Redis 7.0');
  assert.equal(f.get('expired-keys'), undefined, 'no key had expired when it was written');

  const rep = JSON.parse(cli('report', '--in', inv, '--format', 'json')) as {
    snapshot: { ctime: number }; totals: { keys: number; withTtl: number }; byType: Array<{ type: string; keys: number }>;
    byEncoding: Array<{ type: string; encoding: string; keys: number }>; ttl: Bucket[]; topKeys: Array<{ key: string }>;
  };
  assert.equal(rep.totals.keys, rows.length);
  assert.equal(rep.totals.withTtl, count((r) => r.exp !== null));
  for (const t of rep.byType) assert.equal(t.keys, count((r) => r.type === t.type), t.type);
  for (const e of rep.byEncoding) assert.equal(e.keys, count((r) => r.type === e.type && r.encoding === e.encoding), `${e.type}/${e.encoding}`);
  const now = rep.snapshot.ctime * 1000;
  const left = (r: (typeof rows)[number]): number => r.exp! - now;
  const expect: Record<string, number> = {
    'no expiry': count((r) => r.exp === null),
    'already expired': count((r) => r.exp !== null && left(r) <= 0),
    '< 1 h': count((r) => r.exp !== null && left(r) > 0 && left(r) < 3_600_000),
    '1-24 h': count((r) => r.exp !== null && left(r) >= 3_600_000 && left(r) < 86_400_000),
    '1-7 d': count((r) => r.exp !== null && left(r) >= 86_400_000 && left(r) < 604_800_000),
    '> 7 d': count((r) => r.exp !== null && left(r) >= 604_800_000),
  };
  assert.deepEqual(Object.fromEntries(rep.ttl.map((b) => [b.label, b.keys])), expect);
  // The biggest key by the server's own MEMORY USAGE is among the report's top five.
  const biggest = [...rows].sort((a, b) => b.mem - a.mem)[0]!;
  assert.ok(rep.topKeys.slice(0, 5).some((k) => k.key === biggest.key), `${biggest.key} in the top keys`);
});

test('a dump from a real redis-server: expired, temporary, shrunk, huge and multi-db keys are found', { skip: haveRedisServer() ? false : 'redis-server not installed' }, async () => {
  const r = await startRedis(['--enable-debug-command', 'yes']);
  try {
    r.cli('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    const cmds: Buffer[] = [];
    for (let i = 0; i < 25; i++) cmds.push(resp('SET', `exp:${i}`, 'gone soon', 'PX', '1'));
    for (let i = 0; i < 30; i++) cmds.push(resp('SET', `session:${i}`, `{"user":${i}}`));
    for (let i = 0; i < 10; i++) cmds.push(resp('SET', `session:ttl:${i}`, 'x', 'EX', '7200'));
    // Hashes that grew past hash-max-listpack-entries (a hashtable) and shrank back to 20 fields.
    const limit = Number(r.cli('CONFIG', 'GET', 'hash-max-listpack-entries').split('\n')[1]);
    for (let h = 0; h < 5; h++) {
      const fields: string[] = [];
      for (let i = 0; i < limit + 20; i++) fields.push(`f${i}`, `v${i}`);
      cmds.push(resp('HSET', `shrunk:${h}`, ...fields));
      cmds.push(resp('HDEL', `shrunk:${h}`, ...Array.from({ length: limit }, (_, i) => `f${i}`)));
    }
    for (let b = 0; b < 12; b++) cmds.push(resp('SADD', 'members', ...Array.from({ length: 1000 }, (_, i) => `member-${b * 1000 + i}`)));
    cmds.push(resp('RPUSH', 'log', ...Array.from({ length: 1500 }, (_, i) => `line ${i}`)));
    cmds.push(resp('SELECT', '3'), resp('SET', 'other-db', '1'));
    r.pipe(Buffer.concat(cmds));
    assert.equal(r.cli('OBJECT', 'ENCODING', 'shrunk:0'), 'hashtable');
    // The dump's ctime has 1 s resolution: wait past the next second so the PX 1 keys are expired by it too.
    await new Promise((res) => setTimeout(res, 1100));
    const usage = (): number => [0, 1, 2, 3, 4].reduce((a, h) => a + Number(r.cli('MEMORY', 'USAGE', `shrunk:${h}`, 'SAMPLES', '0')), 0);
    const before = usage();
    const dbsize = Number(r.cli('DBSIZE')) + Number(r.cli('-n', '3', 'DBSIZE'));
    const dump = r.save();
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-e2e-'));
    const inv = join(dir, 'inv.sqlite');
    cli('index', dump, '--out', inv, '--quiet');
    const f = findingsOf(inv);
    assert.equal(f.get('expired-keys')?.keys, 25);
    assert.equal(f.get('ttl-session')?.keys, 30, 'session keys without TTL only');
    const enc = f.get('encoding-listpack');
    assert.equal(enc?.keys, 5);
    assert.ok(enc.savings > 0 && enc.savings < enc.memory);
    assert.match(enc.rows[0]!.detail!, /hash-max-listpack-entries 128/);
    // What the server really saves: reload the dump, the hashes come back as listpacks.
    r.cli('DEBUG', 'RELOAD');
    assert.equal(r.cli('OBJECT', 'ENCODING', 'shrunk:0'), 'listpack');
    const after = usage();
    assert.ok(enc.savings <= before - after, `estimate ${enc.savings} B must not exceed the real saving ${before - after} B`);
    // The rule's listpack size (memory - savings) is an upper bound of the real one, and not a loose one.
    const estimatedAfter = enc.memory - enc.savings;
    assert.ok(estimatedAfter >= after && estimatedAfter <= 2 * after, `estimated ${estimatedAfter} B as listpacks, real ${after} B`);
    assert.equal(f.get('blocking-delete')?.keys, 1);
    assert.equal(f.get('large-set')?.keys, 1);
    assert.equal(f.get('large-list')?.keys, 1);
    assert.deepEqual(f.get('multiple-dbs')?.rows.map((x) => [x.pattern, x.keys]), [['db 3', 1]]);
    const rep = JSON.parse(cli('report', '--in', inv, '--format', 'json')) as { totals: { keys: number }; ttl: Bucket[] };
    assert.equal(rep.totals.keys, dbsize);
    assert.equal(rep.ttl.find((b) => b.label === 'already expired')?.keys, 25);
    assert.equal(rep.ttl.find((b) => b.label === '< 1 h')?.keys, 0);
    assert.equal(rep.ttl.find((b) => b.label === '1-24 h')?.keys, 10);
  } finally {
    await r.stop();
  }
});

const CORPUS = join(ROOT, '../shared/corpus');

test('the real-RDB corpus: every indexed dump gets a report, an HTML page and recommendations', { skip: existsSync(join(CORPUS, 'MANIFEST.tsv')) ? false : 'corpus absent' }, async () => {
  const { openInventory, resolveSnapshot } = await import('../src/rules/snapshot.js');
  const { buildSummary } = await import('../src/report/summary.js');
  const { renderReportText } = await import('../src/report/text.js');
  const { renderReportHtml } = await import('../src/report/html.js');
  const { loadRules, runRules } = await import('../src/rules/engine.js');
  const lines = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const head = lines[0]!.split('\t');
  const col = (name: string): number => head.indexOf(name);
  const entries = lines.slice(1).map((l) => l.split('\t'))
    .filter((c) => c[col('provenance_class')] === 'server-written' && c[col('relpath')]!.endsWith('.rdb'))
    .map((c) => ({ path: join(CORPUS, c[col('relpath')]!), writer: c[col('writer_aux')]!,
      rdbVersion: Number(c[col('rdb_version')]) }));
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-corpus-'));
  const inv = join(dir, 'corpus.sqlite');
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'index', ...entries.map((e) => e.path), '--out', inv, '--quiet'],
    { cwd: ROOT, encoding: 'utf8' });
  const db = openInventory(inv);
  const rules = loadRules();
  const snaps = db.prepare("SELECT id, source FROM snapshots WHERE status = 'complete'").all() as Array<{ id: number; source: string }>;
  assert.ok(snaps.length >= entries.length * 0.9, `${snaps.length} of ${entries.length} dumps indexed`);
  let oldWriters = 0;
  for (const s of snaps) {
    const e = entries.find((x) => x.path === s.source || s.source.endsWith(x.path.slice(CORPUS.length)));
    assert.ok(e, s.source);
    const snap = resolveSnapshot(db, inv, String(s.id));
    const rec = runRules(db, rules, snap.id);
    const d = buildSummary(db, snap, rec);
    // Key counts are the decoder's business (other tests hold it to the manifest); here the report must agree
    // with what the index recorded for the snapshot and cover every key in each breakdown.
    assert.equal(d.totals.keys, snap.key_count, `${s.source}: keys`);
    assert.equal(d.byDb.reduce((a, b) => a + b.keys, 0), snap.key_count);
    assert.equal(d.ttl.reduce((a, b) => a + b.keys, 0), snap.key_count, `${s.source}: TTL buckets cover every key`);
    assert.equal(d.memoryHistogram.reduce((a, b) => a + b.memory, 0), snap.memory_total);
    assert.ok(renderReportText(d).length > 0 && renderReportHtml(d).includes('</html>'));
    const m = /^redis-ver (\d+)\./.exec(e.writer);
    const old = m !== null ? Number(m[1]) >= 1 && Number(m[1]) <= 6 : !/^(redis|valkey)/.test(e.writer) && e.rdbVersion < 9;
    assert.equal(rec.findings.some((f) => f.id === 'old-server'), old, `${s.source}: written by ${e.writer}`);
    if (old) oldWriters++;
  }
  db.close();
  assert.ok(oldWriters > 0, 'the corpus has dumps from Redis 6 and older');
});

const LFU = join(ROOT, 'fixtures/lfu.rdb');

test('fixtures/lfu.rdb: keys whose LFU counter decayed to 0 are cold', { skip: existsSync(LFU) ? false : 'fixtures/lfu.rdb absent' }, () => {
  const expected = JSON.parse(readFileSync(join(ROOT, 'fixtures/lfu.expected.json'), 'utf8')) as { keys: Array<{ key: string; freq: number }> };
  const inv = join(mkdtempSync(join(tmpdir(), 'rdbscope-e2e-')), 'inv.sqlite');
  cli('index', LFU, '--out', inv, '--quiet');
  const j = JSON.parse(cli('recommend', '--in', inv, '--format', 'json')) as { findings: Array<{ id: string; keys: number; rows: Array<{ example: string }> }> };
  const cold = j.findings.find((f) => f.id === 'cold-keys');
  const zero = expected.keys.filter((k) => k.freq === 0);
  assert.equal(cold?.keys, zero.length);
  assert.deepEqual(cold.rows.map((r) => r.example).sort(), zero.map((k) => k.key).sort());
});
