/**
 * Parquet datasets: real dumps indexed into SQLite and exported (rdbscope export), or indexed straight to
 * Parquet (index --format parquet), read back through real DuckDB (@duckdb/node-api, no mock): the same rows,
 * column by column and byte for byte, and the same rule findings and totals as on SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDuck, sqlString, type Duck } from '../src/export/duck.js';
import { KEYS_TABLE, SMALL_TABLES } from '../src/export/tables.js';

const ROOT = join(import.meta.dirname, '..');
const TMP = mkdtempSync(join(tmpdir(), 'rdbscope-parquet-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

export function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(...args: string[]): string {
  const r = cli(...args);
  assert.equal(r.code, 0, `rdbscope ${args.join(' ')}: ${r.err}`);
  return r.out;
}

const DUMPS = ['fixtures/sample.rdb', 'fixtures/all-encodings.rdb', 'fixtures/lfu.rdb'].map((f) => join(ROOT, f));

/** Rows of a query as arrays, BLOBs as Buffers, integers as bigint (DuckDB), for comparison. */
async function duckRows(d: Duck, sql: string): Promise<unknown[][]> {
  const r = await d.conn.runAndReadAll(sql);
  return r.getRows().map((row) => row.map((v) => {
    if (v && typeof v === 'object' && 'bytes' in (v as object)) return Buffer.from((v as { bytes: Uint8Array }).bytes);
    return v;
  }));
}

function norm(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

let inventory = '';
let dataset = '';

test('export: every table of each snapshot, keys column by column and byte for byte', async () => {
  inventory = join(TMP, 'inv.sqlite');
  ok('index', ...DUMPS, '--allocator', 'system', '-q', '-o', inventory);
  dataset = join(TMP, 'pq');
  // Small files and row groups, so that a snapshot spans several files and row groups.
  const out = ok('export', '--in', inventory, '--all', '--out', dataset, '--rows-per-file', '2000', '--row-group-size', '1000', '--format', 'json');
  const summary = JSON.parse(out) as { snapshots: Array<{ snapshotId: number; keys: number; files: number }> };
  assert.equal(summary.snapshots.length, 3);
  const db = new Database(inventory, { readonly: true });
  db.defaultSafeIntegers(true);
  const d = await openDuck({ threads: 1 });
  try {
    assert.ok(existsSync(join(dataset, 'snapshots.parquet')));
    assert.deepEqual(readdirSync(join(dataset, 'keys')).sort(), ['snapshot_id=1', 'snapshot_id=2', 'snapshot_id=3']);
    const sample = summary.snapshots.find((s) => s.keys > 5000)!;
    assert.equal(readdirSync(join(dataset, 'keys', `snapshot_id=${sample.snapshotId}`)).length, Math.ceil(sample.keys / 2000));
    const cols = KEYS_TABLE.columns.map(([c]) => c);
    for (const s of summary.snapshots) {
      const sq = db.prepare(`SELECT ${cols.join(', ')} FROM keys WHERE snapshot_id = ? ORDER BY rowid`).raw(true).all(BigInt(s.snapshotId)) as unknown[][];
      const pq = await duckRows(d, `SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM read_parquet(${sqlString(join(dataset, 'keys', `snapshot_id=${s.snapshotId}`, '*.parquet'))}, filename = true, file_row_number = true) ORDER BY filename, file_row_number`);
      assert.equal(pq.length, sq.length, `snapshot ${s.snapshotId}: row count`);
      assert.equal(s.keys, sq.length);
      for (let c = 0; c < cols.length; c++) {
        const a = sq.map((r) => norm(r[c]));
        const b = pq.map((r) => norm(r[c]));
        assert.deepEqual(b, a, `snapshot ${s.snapshotId}: column ${cols[c]}`);
      }
      // Binary keys stay binary (all-encodings has keys that are not UTF-8).
      for (const t of SMALL_TABLES) {
        const n = db.prepare(`SELECT COUNT(*) FROM ${t.name} WHERE snapshot_id = ?`).pluck().get(BigInt(s.snapshotId));
        const m = await duckRows(d, `SELECT COUNT(*) FROM read_parquet(${sqlString(join(dataset, t.name, `snapshot_id=${s.snapshotId}`, '*.parquet'))})`);
        assert.equal(m[0]![0], n, `${t.name} of snapshot ${s.snapshotId}`);
      }
    }
    const binary = await duckRows(d, `SELECT COUNT(*) FROM read_parquet(${sqlString(join(dataset, 'keys/*/*.parquet'))}) WHERE key_text IS NULL`);
    assert.ok((binary[0]![0] as bigint) > 0n, 'the fixtures hold keys that are not UTF-8');
    // Hive partitions: snapshot_id comes from the folder names.
    const parts = await duckRows(d, `SELECT snapshot_id, COUNT(*), SUM(memory) FROM read_parquet(${sqlString(join(dataset, 'keys/*/*.parquet'))}, hive_partitioning = true) GROUP BY 1 ORDER BY 1`);
    const want = db.prepare('SELECT snapshot_id, COUNT(*), SUM(memory) FROM keys GROUP BY 1 ORDER BY 1').raw(true).all() as unknown[][];
    assert.deepEqual(parts, want);
    const snaps = await duckRows(d, `SELECT id, label, sha256, key_count, memory_total, status FROM read_parquet(${sqlString(join(dataset, 'snapshots.parquet'))}) ORDER BY id`);
    assert.deepEqual(snaps, db.prepare('SELECT id, label, sha256, key_count, memory_total, status FROM snapshots ORDER BY id').raw(true).all());
    // Blobs and doubles of the summaries, exactly.
    const kg = await duckRows(d, `SELECT key_min, as_hash_savings, memory FROM read_parquet(${sqlString(join(dataset, 'key_groups/*/*.parquet'))}, hive_partitioning = true, file_row_number = true) ORDER BY snapshot_id, file_row_number`);
    const kgWant = db.prepare('SELECT key_min, as_hash_savings, memory FROM key_groups ORDER BY snapshot_id, rowid').raw(true).all() as unknown[][];
    assert.deepEqual(kg.map((r) => r.map(norm)), kgWant.map((r) => r.map(norm)));
  } finally {
    d.close();
    db.close();
  }
});

test('export again: a snapshot is replaced in place, other snapshots are kept; a wrong snapshot is one line', () => {
  const again = join(TMP, 'pq-again');
  ok('export', '--in', inventory, '--snapshot', '1', '--out', again, '-q');
  ok('export', '--in', inventory, '--snapshot', '2', '--snapshot', '1', '--out', again, '-q');
  assert.deepEqual(readdirSync(join(again, 'keys')).sort(), ['snapshot_id=1', 'snapshot_id=2']);
  assert.deepEqual(readdirSync(again).filter((n) => n.startsWith('.')), [], 'no staging folder is left');
  const bad = cli('export', '--in', inventory, '--snapshot', '99', '--out', again);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /^rdbscope: .*no snapshot with id or label '99'/);
  assert.equal(bad.err.trim().split('\n').length, 1);
});

test('index --format parquet: the same dataset as index then export; ids continue, a dump already there is refused', async () => {
  const direct = join(TMP, 'direct');
  ok('index', DUMPS[0]!, DUMPS[1]!, '--allocator', 'system', '--format', 'parquet', '--out', direct, '--jobs', '2', '-q');
  ok('index', DUMPS[2]!, '--allocator', 'system', '--format', 'parquet', '--out', direct, '-q');
  const again = cli('index', DUMPS[0]!, '--allocator', 'system', '--format', 'parquet', '--out', direct);
  assert.equal(again.code, 3);
  assert.match(again.err, /already in .* as snapshot \d \(same sha256\)/);
  assert.deepEqual(readdirSync(direct).filter((n) => n.startsWith('.')), [], 'no temporary inventory is left');
  const d = await openDuck({ threads: 1 });
  try {
    const ids = async (dir: string): Promise<Map<string, bigint>> => new Map((await duckRows(d,
      `SELECT label, id FROM read_parquet(${sqlString(join(dir, 'snapshots.parquet'))})`)).map((r) => [String(r[0]), r[1] as bigint]));
    const a = await ids(direct);
    const b = await ids(dataset);
    assert.deepEqual([...a.values()].sort(), [1n, 2n, 3n]);
    assert.equal(a.get('lfu.rdb'), 3n, 'the later run continues after the ids the dataset holds');
    for (const [label, id] of a) {
      for (const t of ['keys', 'notable_keys', 'key_groups', 'top_keys', 'hash_fields', 'dbs']) {
        const q = (dir: string, sid: bigint): string => `SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet(${sqlString(join(dir, t, `snapshot_id=${sid}`, '*.parquet'))}, hive_partitioning = false, filename = true, file_row_number = true) ORDER BY filename, file_row_number`;
        const x = (await duckRows(d, q(direct, id))).map((r) => r.map(norm));
        const y = (await duckRows(d, q(dataset, b.get(label)!))).map((r) => r.map(norm));
        if (t === 'key_groups' || t === 'top_keys') {
          // first_row and row are rowids of the inventory each was made in.
          const drop = t === 'key_groups' ? 18 : 4;
          for (const r of [...x, ...y]) r[drop] = null;
        }
        assert.deepEqual(x, y, `${label}: ${t}`);
      }
    }
  } finally {
    d.close();
  }
});

/**
 * A dump written by a real redis-server with something for nearly every built-in rule (long-key-names needs over
 * a million keys, old-server an older writer).
 */
async function ruleDump(): Promise<string> {
  const { startRedis } = await import('./helpers/redis.js');
  const { Redis } = await import('ioredis');
  const r = await startRedis(['--maxmemory-policy', 'allkeys-lru', '--enable-debug-command', 'yes']);
  const c = new Redis(r.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await c.connect();
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    const p = c.pipeline();
    for (let i = 0; i < 1500; i++) p.set(`counter:${i}`, String(i * 7));
    for (let i = 0; i < 50; i++) p.set(`counters:${i}`, String(i));
    for (let i = 0; i < 100; i++) {
      if (i < 30) p.set(`order:${i}`, `o${i}`, 'EX', 2 * 86400);
      else p.set(`order:${i}`, `o${i}`);
    }
    for (let i = 0; i < 20; i++) p.set(`job:${i}`, 'x', 'PX', 1000);
    for (let i = 0; i < 20; i++) p.set(`cache:item:${i}`, 'v'.repeat(50), 'EX', 3 * 86400);
    for (let i = 0; i < 30; i++) p.set(`session:${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${String(i).padStart(12, '0')}`, `{"u":${i}}`);
    for (let i = 0; i < 40; i++) p.set(`config:${i}`, JSON.stringify({ id: i, name: `service-${i}`, enabled: true, tags: ['a', 'b'] }));
    for (let i = 0; i < 150; i++) p.hset(`user:${i}:profile`, 'name', `n${i}`, 'email', `u${i}@example.com`, 'country', 'se');
    for (let i = 0; i < 12000; i++) p.hset('big:hash', `field:${i}`, String(i));
    for (let j = 0; j < 3; j++) for (let i = 0; i < 20; i++) p.zadd(`events:${j}`, 1_750_000_000 + i * 60, `e${i}`);
    for (let i = 0; i < 2000; i++) p.rpush('queue:jobs', `job-${i % 10}-${'payload '.repeat(4)}`);
    for (let i = 0; i < 2000; i++) p.sadd('online:users', `user-${i}`);
    p.set('export:blob', 'lorem ipsum dolor sit amet '.repeat(8000));
    // already compressed values (compressed-values)
    const { gzipSync } = await import('node:zlib');
    const { randomBytes } = await import('node:crypto');
    for (let i = 0; i < 30; i++) p.set(`archive:${i}`, gzipSync(randomBytes(2048).toString('base64')));
    await p.exec();
    await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', '4');
    await c.hset('small:h', ...Array.from({ length: 20 }, (_, i) => [`f${i}`, `v${i}`]).flat());
    await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', '128');
    for (let i = 0; i < 60; i++) {
      await c.set(`old:${i}`, `abandoned-${i}`);
      const d = await c.dumpBuffer(`old:${i}`);
      await c.call('RESTORE', `old:${i}`, '0', d, 'REPLACE', 'IDLETIME', String(40 * 86400));
    }
    await c.select(1);
    await c.set('other:db', '1');
    await new Promise((res) => setTimeout(res, 2100)); // the job:* keys are expired, a second before the dump's ctime
    const dump = r.save();
    const keep = join(TMP, 'rules.rdb');
    (await import('node:fs')).copyFileSync(dump, keep);
    return keep;
  } finally {
    c.disconnect();
    await r.stop();
  }
}

/**
 * Server facts for the rules on them (they are read from real servers in live-facts.test.ts; here only the
 * translation is compared): the server dump's snapshot has a fragmented server near its maxmemory with allkeys-lru
 * (server-fragmentation, server-maxmemory, eviction-sessions) and big buffers (server-buffers); the first
 * snapshot volatile-lru (eviction-no-ttl).
 */
function addFacts(inv: string, serverSnapshot: number): void {
  const db = new Database(inv);
  const put = db.prepare("INSERT INTO server_facts (snapshot_id, source, name, value, read_at) VALUES (?, 'redis://127.0.0.1:6379', ?, ?, '2026-12-03T00:00:00.000Z')");
  const facts: Array<[number, string, string]> = [
    [serverSnapshot, 'info.memory.used_memory', '90000000'], [serverSnapshot, 'info.memory.used_memory_rss', '180000000'],
    [serverSnapshot, 'info.memory.mem_fragmentation_ratio', '2.00'], [serverSnapshot, 'info.memory.mem_allocator', 'jemalloc-5.3.0'],
    [serverSnapshot, 'config.activedefrag', 'no'], [serverSnapshot, 'config.maxmemory', '100000000'],
    [serverSnapshot, 'config.maxmemory-policy', 'allkeys-lru'], [serverSnapshot, 'info.stats.evicted_keys', '12'],
    [serverSnapshot, 'memory_stats.replication.backlog', '20971520'], [serverSnapshot, 'memory_stats.clients.normal', '1048576'],
    [1, 'info.memory.used_memory', '50000000'], [1, 'config.maxmemory', '1000000000'], [1, 'config.maxmemory-policy', 'volatile-lru'],
  ];
  for (const [id, name, value] of facts) put.run(id, name, value);
  db.close();
}

test('recommend --parquet: every built-in rule gives the same findings, keys, memory, savings and totals as on SQLite', async (t) => {
  const { haveRedisServer } = await import('./helpers/redis.js');
  const dumps = [...DUMPS];
  if (haveRedisServer()) dumps.push(await ruleDump());
  else t.diagnostic('redis-server absent: the fixtures only');
  const inv = join(TMP, 'rules.sqlite');
  ok('index', ...dumps, '--allocator', 'system', '-q', '-o', inv);
  if (haveRedisServer()) addFacts(inv, dumps.length);
  const pq = join(TMP, 'rules-pq');
  ok('export', '--in', inv, '--all', '--out', pq, '-q');
  const fired = new Set<string>();
  const d = await openDuck({ threads: 1 });
  try {
    for (let id = 1; id <= dumps.length; id++) {
      const a = JSON.parse(ok('recommend', '--in', inv, '--snapshot', String(id), '--format', 'json'));
      const b = JSON.parse(ok('recommend', '--parquet', pq, '--snapshot', String(id), '--format', 'json'));
      for (const f of a.findings) fired.add(f.id);
      assert.deepEqual(b.findings.map((f: { id: string }) => f.id), a.findings.map((f: { id: string }) => f.id), `snapshot ${id}: the same findings in the same order`);
      for (let i = 0; i < a.findings.length; i++) {
        const [x, y] = [a.findings[i], b.findings[i]];
        assert.deepEqual([y.keys, y.memory, y.savings], [x.keys, x.memory, x.savings], `snapshot ${id}: ${x.id}`);
        assert.deepEqual(y.rows, x.rows, `snapshot ${id}: ${x.id}: rows (pattern, keys, memory, savings, detail, example)`);
      }
      assert.deepEqual(b, a, `snapshot ${id}: the whole output`);
      // Text output too.
      assert.equal(ok('recommend', '--parquet', pq, '--snapshot', String(id)), ok('recommend', '--in', inv, '--snapshot', String(id)));
      // The report's totals from the Parquet keys.
      const rep = JSON.parse(ok('report', '--in', inv, '--snapshot', String(id), '--format', 'json'));
      const [tot] = await duckRows(d, `SELECT COUNT(*), SUM(memory), SUM(rdb_bytes), COUNT(expires_at) FROM read_parquet(${sqlString(join(pq, 'keys', `snapshot_id=${id}`, '*.parquet'))})`);
      assert.deepEqual(tot!.map(Number), [rep.totals.keys, rep.totals.memory, rep.totals.rdbBytes, rep.totals.withTtl], `snapshot ${id}: report totals`);
      const byType = await duckRows(d, `SELECT type, COUNT(*), SUM(memory) FROM read_parquet(${sqlString(join(pq, 'keys', `snapshot_id=${id}`, '*.parquet'))}) GROUP BY 1 ORDER BY 1`);
      const want = (rep.byType as Array<{ type: string; keys: number; memory: number }>).map((r) => [r.type, r.keys, r.memory]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      assert.deepEqual(byType.map((r) => [r[0], Number(r[1]), Number(r[2])]), want, `snapshot ${id}: memory by type`);
    }
  } finally {
    d.close();
  }
  if (haveRedisServer()) {
    const all = readdirSync(join(ROOT, 'src/rules/builtin')).map((f) => f.replace(/\.sql$/, ''));
    const missing = all.filter((r) => !fired.has(r)).sort();
    assert.deepEqual(missing, ['long-key-names', 'old-server'], 'every other built-in rule has findings to compare');
  }
});

/** Rows of a rule query as comparable text (values in SQLite's types; bytes as hex), sorted. */
function rowSet(rows: Array<Record<string, unknown>>): string[] {
  return rows.map((r) => JSON.stringify(Object.values(r).map((v) => {
    if (v && typeof v === 'object' && 'bytes' in (v as object)) return Buffer.from((v as { bytes: Uint8Array }).bytes).toString('hex');
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (typeof v === 'bigint') return Number(v);
    return v;
  }))).sort();
}

test('rules --dialect duckdb: the printed script runs on DuckDB over the dataset and every rule returns the rows SQLite returns', async () => {
  // An inventory that old-server and long-key-names fire on (a Redis 6.2 writer, a family of long key names;
  // long-key-names' @skip asks for a million keys, its @affected is compared here directly).
  const { addSnapshot, createInventory } = await import('./helpers/inventory.js');
  const invPath = join(TMP, 'dialect.sqlite');
  const inv = createInventory(invPath);
  const keys = Array.from({ length: 10_500 }, (_, i) => ({
    key: `tenant:acme-corporation:billing:invoice:line-item:${i}`, type: 'string', encoding: 'embstr', length: 8, memory: 120,
    pattern: 'tenant:acme-corporation:billing:invoice:line-item:{id}',
  }));
  addSnapshot(inv, { writer: 'redis 6.2.6', rdb_version: 9, label: 'old' }, keys);
  inv.close();
  const pq = join(TMP, 'dialect-pq');
  ok('export', '--in', invPath, '--out', pq, '-q');
  const sources: Array<[string, string, number[]]> = [[invPath, pq, [1]], [join(TMP, 'rules.sqlite'), join(TMP, 'rules-pq'), [1, 2, 3, 4]]];
  const compared = new Set<string>();
  for (const [sqlite, dir, ids] of sources) {
    if (!existsSync(sqlite)) continue;
    const db = new Database(sqlite, { readonly: true });
    for (const id of ids) {
      const script = ok('rules', '--dialect', 'duckdb', '--setup', dir, '--snapshot', String(id));
      const printedRules = JSON.parse(ok('rules', '--dialect', 'duckdb', '--snapshot', String(id), '--format', 'json')).rules as Array<{ id: string; skip: string | null; savings: string | null }>;
      const d = await openDuck({ threads: 1 });
      try {
        const st = await d.conn.extractStatements(script);
        const results: Array<Array<Record<string, unknown>>> = [];
        for (let i = 0; i < st.count; i++) {
          const r = await (await st.prepare(i)).runAndReadAll();
          const names = r.columnNames();
          results.push(r.getRows().map((row) => Object.fromEntries(row.map((v, k) => [names[k]!, v]))));
        }
        // setup statements first, then per rule: @skip, @affected, @savings where it has them
        const perRule = printedRules.reduce((n, r) => n + 1 + (r.skip ? 1 : 0) + (r.savings ? 1 : 0), 0);
        let at = results.length - perRule;
        assert.ok(at > 0, 'the setup statements come first');
        const { loadRules } = await import('../src/rules/engine.js');
        const rules = new Map(loadRules().map((r) => [r.id, r]));
        for (const p of printedRules) {
          const rule = rules.get(p.id)!;
          if (p.skip) {
            const want = db.prepare(rule.skip!.sql).raw(true).get({ snapshot: id }) as unknown[];
            assert.deepEqual(Object.values(results[at++]![0]!).map((v) => v ?? null), want.map((v) => v ?? null), `${p.id} @skip on snapshot ${id}`);
          }
          const want = db.prepare(rule.affected.sql).all({ snapshot: id }) as Array<Record<string, unknown>>;
          assert.deepEqual(rowSet(results[at++]!), rowSet(want), `${p.id} @affected on snapshot ${id}`);
          if (want.length > 0) compared.add(p.id);
          if (p.savings) at++;
        }
      } finally {
        d.close();
      }
    }
    db.close();
  }
  if (existsSync(join(TMP, 'rules.sqlite')) && haveServer()) {
    const all = readdirSync(join(ROOT, 'src/rules/builtin')).map((f) => f.replace(/\.sql$/, '')).sort();
    assert.deepEqual([...compared].sort(), all, 'every built-in rule returned rows on DuckDB to compare');
  }
});

function haveServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

test('rules --dialect spark / trino: every statement (setup and rules) parses with that engine\'s grammar', async () => {
  const { SparkSQL, TrinoSQL } = await import('dt-sql-parser');
  const grammars = { spark: new SparkSQL(), trino: new TrinoSQL() };
  for (const [dialect, g] of Object.entries(grammars)) {
    const out = JSON.parse(ok('rules', '--dialect', dialect, '--setup', 's3://bucket/rdbscope/shard-1', '--format', 'json'));
    const statements: Array<[string, string]> = out.setup.map((s: string) => ['setup', s]);
    for (const r of out.rules) {
      for (const k of ['skip', 'affected', 'savings']) if (r[k]) statements.push([`${r.id} @${k}`, r[k]]);
    }
    assert.ok(statements.length > 30);
    for (const [what, sql] of statements) {
      const errors = g.validate(sql);
      assert.deepEqual(errors.map((e: { message: string; startLine: number }) => `${e.startLine}: ${e.message}`), [], `${dialect}: ${what}:\n${sql}`);
    }
    // The grammar check can fail: SQLite's own text does not parse as Trino (its :snapshot parameter).
    if (dialect === 'trino') {
      const sqlite = JSON.parse(ok('rules', '--format', 'json')).rules as Array<{ affected: string }>;
      assert.ok(sqlite.every((r) => g.validate(r.affected).length > 0));
    }
  }
});
