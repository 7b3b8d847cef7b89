import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { KeyRow } from '../src/inventory/batch.js';
import { analyzeAfterLoad, closeAfterWrite, openForWrite } from '../src/inventory/db.js';
import { escapeBytes, type Format } from '../src/inventory/format.js';
import { parseParams, runQuery } from '../src/inventory/query.js';
import { keySlot } from '../src/inventory/slot.js';
import { InventoryWriter } from '../src/inventory/writer.js';

const ROOT = resolve(import.meta.dirname, '..');
let dir = '';
let inv = '';
const BIN = Uint8Array.from([0xff, 0x00, 0x22, 0x0a]);

function row(key: Uint8Array, text: string | null, memory: number, db = 0): KeyRow {
  return [db, key, text, 'string', 'raw', 1, memory, 10, null, null, null, keySlot(key), 1, 0, null, null, null, null, null, null, null];
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-q-'));
  inv = join(dir, 'inv.sqlite');
  const db = openForWrite(inv);
  const w = new InventoryWriter(db);
  const id = w.begin({ label: 'q', source: 'q.rdb', fileSize: 1, sha256: 's' }, null);
  w.insertRows(id, [row(Buffer.from('user:1'), 'user:1', 100), row(BIN, null, 50), row(Buffer.from('a,b'), 'a,b', 7, 3)]);
  w.finish(id, {
    magic: 'REDIS', rdbVersion: 11, aux: [], dbs: [], modules: [], functions: [], keyCount: 3, memoryTotal: 157,
    memoryModel: null, memoryVerified: null, memoryAllocator: null, checksum: 'ok', patternFolds: [], hashFields: [],
  });
  analyzeAfterLoad(db);
  closeAfterWrite(db);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function q(sql: string, format: Format, params: string[] = []): string {
  let out = '';
  runQuery(inv, sql, parseParams(params), format, (s) => (out += s));
  return out;
}

test('escapeBytes is redis-cli style', () => {
  assert.equal(escapeBytes(BIN), '"\\xff\\x00\\"\\n"');
});

test('table and csv show binary keys escaped, text keys as they are', () => {
  const t = q('SELECT key, memory FROM complete_keys ORDER BY memory DESC', 'table').split('\n');
  assert.match(t[0]!, /^key\s+memory$/);
  assert.match(t[2]!, /^user:1\s+100$/);
  assert.match(t[3]!, /^"\\xff\\x00\\"\\n"\s+50$/);
  const c = q('SELECT key, memory FROM complete_keys ORDER BY memory DESC', 'csv');
  assert.equal(c, 'key,memory\nuser:1,100\n"""\\xff\\x00\\""\\n""",50\n"a,b",7\n');
});

test('json gives the text (or null) and a _base64 sibling that holds the exact bytes', () => {
  const rows = JSON.parse(q('SELECT key, key_text, memory FROM complete_keys ORDER BY memory DESC', 'json')) as Array<Record<string, unknown>>;
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], { key: 'user:1', key_base64: Buffer.from('user:1').toString('base64'), key_text: 'user:1', memory: 100 });
  assert.equal(rows[1]!.key, null);
  assert.deepEqual(Buffer.from(String(rows[1]!.key_base64), 'base64'), Buffer.from(BIN));
  const lines = q('SELECT db FROM complete_keys ORDER BY db', 'jsonl').trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [{ db: 0 }, { db: 0 }, { db: 3 }]);
  assert.equal(q('SELECT 1 WHERE 0', 'json'), '[]\n');
});

test('named parameters', () => {
  assert.equal(q('SELECT key_text FROM complete_keys WHERE db = :db', 'csv', ['db=3']), 'key_text\n"a,b"\n');
  assert.equal(q('SELECT count(*) n FROM complete_keys WHERE key_text = @t', 'csv', ['t=user:1']), 'n\n1\n');
  assert.throws(() => q('SELECT 1', 'csv', ['novalue']), { name: 'UserError' });
});

test('writes are refused and leave the inventory as it was', () => {
  for (const sql of ['DELETE FROM keys', "UPDATE snapshots SET status = 'x'", 'CREATE TABLE t (x)', 'DROP VIEW complete_keys',
    "INSERT INTO meta VALUES ('a', 'b')", "ATTACH 'x.db' AS x"]) {
    assert.throws(() => q(sql, 'table'), { name: 'UserError', message: /read-only/ }, sql);
  }
  assert.equal(q('SELECT count(*) AS n FROM keys', 'csv'), 'n\n3\n');
});

test('the CLI prints SQL errors and refusals as one line with a non-zero exit', () => {
  const cli = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  for (const args of [['query', 'DELETE FROM keys', '--in', inv], ['query', 'SELEC 1', '--in', inv],
    ['query', 'SELECT 1', '--in', join(dir, 'missing.sqlite')], ['query', 'SELECT 1; SELECT 2', '--in', inv]]) {
    const r = cli(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(String(r.stderr), /^rdbscope: [^\n]+\n$/, args.join(' '));
  }
  const ok = cli('query', 'SELECT key FROM complete_keys WHERE db = :db', '--in', inv, '-p', 'db=3', '-f', 'csv');
  assert.equal(ok.status, 0, String(ok.stderr));
  assert.equal(ok.stdout, 'key\n"a,b"\n');
});

test('plain sqlite3 reads the file', { skip: spawnSync('sqlite3', ['-version']).status === 0 ? false : 'no sqlite3' }, () => {
  const r = spawnSync('sqlite3', [inv, 'SELECT count(*), sum(memory) FROM complete_keys'], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '3|157');
});
