import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { parseFile } from '../src/decode/index.js';
import { keySlot } from '../src/inventory/slot.js';
import { indexDumps } from '../src/inventory/run.js';
import { corpusSkip, isWellFormed, manifest } from './helpers/corpus.js';
import { haveRedisServer, resp, startRedis } from './helpers/redis.js';

const ROOT = resolve(import.meta.dirname, '..');
const noRedis = haveRedisServer() ? {} : { skip: 'no redis-server' };
let dir = '';

before(() => (dir = mkdtempSync(join(tmpdir(), 'rdbscope-idx-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

const opts = (out: string) => ({ out, force: false, quiet: true, patterns: [], memoryModel: null, checksum: true });

/** Saves a dump from a fresh server fed with `cmds`, copied to dir/name. */
async function dumpOf(name: string, cmds: Buffer[]): Promise<string> {
  const r = await startRedis();
  try {
    for (let i = 0; i < cmds.length; i += 5000) r.pipe(Buffer.concat(cmds.slice(i, i + 5000)));
    const path = join(dir, name);
    copyFileSync(r.save(), path);
    return path;
  } finally {
    await r.stop();
  }
}

test('corpus: one row per key of every dump a real writer produced, failures marked failed', corpusSkip(), async () => {
  const rows = manifest().filter(isWellFormed);
  const out = join(dir, 'corpus.sqlite');
  const results = await indexDumps(rows.map((r) => r.path), opts(out));
  const db = new Database(out, { readonly: true });
  const count = db.prepare('SELECT count(*) FROM keys WHERE snapshot_id = ?').pluck();
  let complete = 0;
  results.forEach((res, i) => {
    const row = rows[i]!;
    let decoded: number | Error;
    try {
      decoded = parseFile(row.path, {}).keys;
    } catch (e) {
      decoded = e as Error;
    }
    if (decoded instanceof Error) {
      // the inventory fails exactly where the decoder does, with its one-line message
      assert.equal(res.status, 'failed', row.relpath);
      assert.equal(res.error, decoded.message.split('\n')[0], row.relpath);
      assert.equal(db.prepare('SELECT status FROM snapshots WHERE id = ?').pluck().get(res.snapshotId), 'failed');
      return;
    }
    complete++;
    assert.equal(res.status, 'complete', `${row.relpath}: ${res.error}`);
    assert.equal(count.get(res.snapshotId), decoded, row.relpath);
    assert.equal(res.keys, decoded, row.relpath);
    if (row.structureWalk === 'EOF_ok') assert.equal(decoded, row.keys, `${row.relpath} against MANIFEST.tsv`);
  });
  assert.ok(complete > 100, `only ${complete} corpus dumps indexed`);
  assert.equal(db.prepare("SELECT count(*) FROM snapshots WHERE status = 'loading'").pluck().get(), 0);
  db.close();
});

test('real server: binary keys round-trip byte for byte, with text, slot, type and TTL', noRedis, async () => {
  const keys: Buffer[] = [Buffer.alloc(0)];
  for (let b = 0; b < 256; b++) keys.push(Buffer.from([b]), Buffer.from([0x7b, b, 0x7d, 0xff - b, 0]));
  keys.push(Buffer.from('plain:text'), Buffer.from('caf\u00e9 \u2603'), Buffer.from([0xc3, 0x28]));
  const cmds = keys.map((k, i) => (i % 3 === 0 ? resp('SET', k, 'v', 'PX', '3600000') : i % 3 === 1 ? resp('SADD', k, 'a', 'b') : resp('HSET', k, 'f', 'v')));
  const path = await dumpOf('binary.rdb', cmds);
  const out = join(dir, 'binary.sqlite');
  const [res] = await indexDumps([path], opts(out));
  assert.equal(res!.status, 'complete', res!.error ?? '');
  const db = new Database(out, { readonly: true });
  const got = db.prepare('SELECT key, key_text, slot, type, expires_at, memory FROM complete_keys').all() as Array<{
    key: Buffer; key_text: string | null; slot: number; type: string; expires_at: number | null; memory: number;
  }>;
  assert.equal(got.length, keys.length);
  const byHex = new Map(got.map((g) => [g.key.toString('hex'), g]));
  keys.forEach((k, i) => {
    const g = byHex.get(k.toString('hex'));
    assert.ok(g, `key ${k.toString('hex')} missing`);
    const text = new TextDecoder('utf-8', { fatal: true });
    let expected: string | null;
    try {
      expected = text.decode(k);
    } catch {
      expected = null;
    }
    assert.equal(g.key_text, expected, k.toString('hex'));
    assert.equal(g.slot, keySlot(k));
    assert.equal(g.type, ['string', 'set', 'hash'][i % 3]);
    assert.equal(g.expires_at !== null, i % 3 === 0);
    assert.ok(g.memory > 0);
  });
  db.close();
});

test('several dumps in parallel give the same rows as one by one; the same file twice is refused', noRedis, async () => {
  const paths: string[] = [];
  for (let d = 0; d < 3; d++) {
    const cmds: Buffer[] = [];
    for (let i = 0; i < 3000 + d * 1000; i++) cmds.push(resp('SET', `n${d}:k:${i}`, 'x'.repeat(i % 50)), resp('RPUSH', `n${d}:l:${i % 100}`, String(i)));
    cmds.push(resp('SET', `n${d}:big`, 'abc'.repeat(2000)));
    paths.push(await dumpOf(`node-${d}.rdb`, cmds));
  }
  const par = join(dir, 'par.sqlite');
  const seq = join(dir, 'seq.sqlite');
  const r = cli('index', ...paths, '--out', par, '--quiet', '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as Array<{ status: string }>).map((x) => x.status), ['complete', 'complete', 'complete']);
  for (const p of paths) assert.equal(cli('index', p, '--out', seq, '-q').status, 0);
  const rowsOf = (file: string): string[] => {
    const db = new Database(file, { readonly: true });
    const rows = db.prepare(`SELECT s.source, k.db, hex(k.key) AS key, k.key_text, k.type, k.encoding, k.length, k.memory, k.rdb_bytes,
      k.expires_at, k.slot, k.largest_element, k.pattern, k.compress_ratio FROM complete_keys k JOIN snapshots s ON s.id = k.snapshot_id`).all();
    db.close();
    return rows.map((x) => JSON.stringify(x)).sort();
  };
  const a = rowsOf(par);
  assert.equal(a.length, 3 * 100 + 3000 + 4000 + 5000 + 3);
  assert.deepEqual(a, rowsOf(seq));
  // Two lanes write part files that are copied in: the summaries point at the same keys, the facts are the same,
  // and no part file is left beside the inventory.
  const factsOf = (file: string): unknown => {
    const db = new Database(file, { readonly: true });
    const groupCols = (db.pragma('table_info(key_groups)') as Array<{ name: string }>).map((c) => c.name)
      .filter((c) => c !== 'snapshot_id' && c !== 'first_row').map((c) => `g.${c}`);
    const o = {
      snapshots: db.prepare(`SELECT source, magic, rdb_version, writer, ctime, used_mem, aux_json, memory_model, key_count, memory_total,
        checksum, memory_verified, memory_allocator, summarized, status FROM snapshots ORDER BY source`).all(),
      groups: db.prepare(`SELECT s.source, ${groupCols.join(', ')}, hex(f.key) AS first_key FROM key_groups g
        JOIN snapshots s ON s.id = g.snapshot_id JOIN keys f ON f.rowid = g.first_row AND f.snapshot_id = g.snapshot_id`).all()
        .map((x) => JSON.stringify(x)).sort(),
      top: db.prepare(`SELECT s.source, t.rank, t.db, hex(t.key) AS key, t.memory, hex(k.key) AS row_key FROM top_keys t
        JOIN snapshots s ON s.id = t.snapshot_id JOIN keys k ON k.rowid = t.row AND k.snapshot_id = t.snapshot_id
        ORDER BY s.source, t.rank`).all(),
      dbs: db.prepare('SELECT s.source, d.db, d.keys, d.expires, d.memory FROM dbs d JOIN snapshots s ON s.id = d.snapshot_id ORDER BY 1, 2').all(),
      fields: db.prepare(`SELECT s.source, h.pattern, hex(h.field), h.hashes, h.family_hashes FROM hash_fields h
        JOIN snapshots s ON s.id = h.snapshot_id ORDER BY 1, 2, 3`).all(),
    };
    db.close();
    return o;
  };
  const pf = factsOf(par) as { top: Array<{ key: string; row_key: string }>; groups: string[] };
  assert.deepEqual(pf, factsOf(seq));
  assert.ok(pf.top.length > 100 && pf.top.every((t) => t.key === t.row_key), 'top_keys rows are the ranked keys');
  assert.ok(pf.groups.length > 3);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.part-')), []);
  const big = new Database(par, { readonly: true }).prepare("SELECT compress_ratio FROM keys WHERE key_text = 'n0:big'").pluck().get() as number;
  assert.ok(big > 10, `compress_ratio of a repetitive 6 KB string: ${big}`);

  const again = cli('index', paths[1]!, '--out', par);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /^rdbscope: .*node-1\.rdb: already indexed as snapshot \d+ .*--force[^\n]*\n$/);
  const twice = cli('index', paths[0]!, paths[0]!, '--out', join(dir, 'twice.sqlite'), '-q');
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /^rdbscope: .*node-0\.rdb: given twice\n$/);
  const copy = join(dir, 'copy-of-node-2.rdb');
  copyFileSync(paths[2]!, copy);
  const sameContent = cli('index', paths[2]!, copy, '--out', join(dir, 'twice.sqlite'), '-q', '--format', 'json');
  assert.equal(sameContent.status, 1);
  const statuses = (JSON.parse(sameContent.stdout) as Array<{ status: string }>).map((x) => x.status).sort();
  assert.deepEqual(statuses, ['complete', 'refused']);
  // either file may be the one refused: both lanes start together, and one can finish before the other begins
  assert.match(sameContent.stderr, /(copy-of-)?node-2\.rdb: (already indexed as snapshot 1 \((copy-of-)?node-2\.rdb\)|the same file is being indexed in this run)/);
  // every snapshot carries its file's sha256, whether it was hashed before decoding (a file of a size already in
  // the inventory) or beside it (the others)
  const shaOf = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
  for (const file of [par, seq, join(dir, 'twice.sqlite')]) {
    const db = new Database(file, { readonly: true });
    for (const s of db.prepare("SELECT source, sha256 FROM snapshots WHERE status = 'complete'").all() as Array<{ source: string; sha256: string }>) {
      assert.equal(s.sha256, shaOf(s.source), `${file}: ${s.source}`);
    }
    db.close();
  }
  const forced = cli('index', paths[1]!, '--out', par, '--force', '-q', '--format', 'json');
  assert.equal(forced.status, 0, forced.stderr);
  const db = new Database(par, { readonly: true });
  assert.equal(db.prepare("SELECT count(*) FROM snapshots WHERE status = 'complete'").pluck().get(), 4);
  // hashed beside the decoding (--force: a snapshot of the same file is no reason to hash it first), and recorded
  const forcedId = (JSON.parse(forced.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
  assert.equal(db.prepare('SELECT sha256 FROM snapshots WHERE id = ?').pluck().get(forcedId), shaOf(paths[1]!));
  db.close();
});

test('bad input: one line, non-zero exit, no complete snapshot', () => {
  const missing = cli('index', join(dir, 'nope.rdb'), '--out', join(dir, 'bad.sqlite'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^rdbscope: .*nope\.rdb: no such file\n$/);
  const nowhere = cli('index', join(ROOT, 'fixtures/sample.rdb'), '--out', join(dir, 'no-such-dir', 'inv.sqlite'), '-q');
  assert.equal(nowhere.status, 2);
  assert.match(nowhere.stderr, /^rdbscope: [^\n]*no-such-dir\/inv\.sqlite: cannot create the inventory \([^\n]+\)\n$/);
  const model = cli('index', join(ROOT, 'package.json'), '--memory-model', 'redis-1', '--out', join(dir, 'bad.sqlite'));
  assert.match(model.stderr, /^rdbscope: --memory-model redis-1: unknown model/);
  const notRdb = cli('index', join(ROOT, 'package.json'), '--out', join(dir, 'bad.sqlite'), '-q');
  assert.equal(notRdb.status, 1);
  assert.match(notRdb.stderr, /^rdbscope: [^\n]*package\.json: offset \d+: expected [^\n]+\n$/);
  const db = new Database(join(dir, 'bad.sqlite'), { readonly: true });
  assert.deepEqual(db.prepare('SELECT status FROM snapshots').pluck().all(), ['failed']);
  db.close();
});
