import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { DumpFacts, KeyRow } from '../src/inventory/batch.js';
import { analyzeAfterLoad, closeAfterWrite, openForWrite, schemaSql } from '../src/inventory/db.js';
import { InventoryWriter, auxJson } from '../src/inventory/writer.js';
import { keySlot } from '../src/inventory/slot.js';

function row(key: Uint8Array, pattern: string | null, memory: number): KeyRow {
  return [0, key, null, 'string', 'raw', 3, memory, 10, null, null, null, keySlot(key), 3, 0, null, pattern, null, null, null, null, null];
}

function facts(keyCount: number, folds: Array<[string, string]> = []): DumpFacts {
  return {
    magic: 'REDIS', rdbVersion: 11, aux: [['redis-ver', Buffer.from('7.2.4')], ['bin', Uint8Array.from([0xff, 0xfe])]],
    dbs: [{ db: 0, keys: keyCount, expires: 0, memory: 0, resizeKeys: null, resizeExpires: null }],
    modules: [], functions: [], keyCount, memoryTotal: 0, memoryModel: null, memoryVerified: null, memoryAllocator: null, checksum: 'ok', patternFolds: folds, hashFields: [],
  };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-inv-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a snapshot is visible to the views only once complete; every byte value of a key round-trips', () => withDir((dir) => {
  const path = join(dir, 'inv.sqlite');
  const db = openForWrite(path);
  const w = new InventoryWriter(db);
  const id = w.begin({ label: 'a', source: 'a.rdb', fileSize: 1, sha256: 'x' }, null);
  const keys = Array.from({ length: 256 }, (_, i) => Uint8Array.from([i, 0, 255 - i, 0x7b]));
  w.insertRows(id, keys.slice(0, 100).map((k) => row(k, 'p', 1)));
  const reader = new Database(path, { readonly: true });
  assert.equal(reader.prepare('SELECT count(*) FROM complete_keys').pluck().get(), 0);
  assert.equal(reader.prepare("SELECT status FROM snapshots WHERE id = ?").pluck().get(id), 'loading');
  w.insertRows(id, keys.slice(100).map((k) => row(k, 'p', 1)));
  w.finish(id, facts(256));
  assert.equal(reader.prepare('SELECT count(*) FROM complete_keys').pluck().get(), 256);
  const got = reader.prepare('SELECT key FROM keys WHERE snapshot_id = ? ORDER BY rowid').pluck().all(id) as Buffer[];
  assert.deepEqual(got.map((b) => b.toString('hex')), keys.map((k) => Buffer.from(k).toString('hex')));
  const s = reader.prepare('SELECT status, key_count, writer, aux_json FROM snapshots WHERE id = ?').get(id) as Record<string, unknown>;
  assert.equal(s.status, 'complete');
  assert.equal(s.key_count, 256);
  assert.equal(s.writer, 'redis 7.2.4');
  assert.deepEqual(JSON.parse(String(s.aux_json)), { 'redis-ver': '7.2.4', bin: 'base64://4=' });
  reader.close();
  closeAfterWrite(db);
}));

test('pattern foldings apply to the snapshot they belong to, only', () => withDir((dir) => {
  const db = openForWrite(join(dir, 'inv.sqlite'));
  const w = new InventoryWriter(db);
  const a = w.begin({ label: 'a', source: 'a', fileSize: 1, sha256: 'a' }, null);
  const b = w.begin({ label: 'b', source: 'b', fileSize: 1, sha256: 'b' }, null);
  // interleaved batches, as with two dumps loading in parallel
  w.insertRows(a, [row(Buffer.from('u:1'), 'u:1', 1), row(Buffer.from('v'), 'v', 1)]);
  w.insertRows(b, [row(Buffer.from('u:1'), 'u:1', 1)]);
  w.insertRows(a, [row(Buffer.from('u:2'), 'u:2', 1)]);
  w.finish(a, facts(3, [['u:1', 'u:{n}'], ['u:2', 'u:{n}']]));
  w.finish(b, facts(1));
  const q = (id: number): unknown[] => db.prepare('SELECT pattern FROM keys WHERE snapshot_id = ? ORDER BY rowid').pluck().all(id);
  assert.deepEqual(q(a), ['u:{n}', 'v', 'u:{n}']);
  assert.deepEqual(q(b), ['u:1']);
  analyzeAfterLoad(db);
  closeAfterWrite(db);
}));

test('a failed snapshot stays out of the views and a stale one of the same file is removed', () => withDir((dir) => {
  const db = openForWrite(join(dir, 'inv.sqlite'));
  const w = new InventoryWriter(db);
  const ident = { label: 'a', source: 'a.rdb', fileSize: 5, sha256: 'abc' };
  const stale = w.begin(ident, null);
  w.insertRows(stale, [row(Buffer.from('k1'), null, 1)]);
  const failed = w.begin({ ...ident, source: 'elsewhere.rdb' }, null);
  w.fail(failed, 'x.rdb: offset 9: expected a type byte\nsecond line');
  assert.equal(db.prepare('SELECT error FROM snapshots WHERE id = ?').pluck().get(failed), 'x.rdb: offset 9: expected a type byte');
  assert.equal(db.prepare('SELECT count(*) FROM complete_keys').pluck().get(), 0);
  assert.equal(w.removeStale(ident), 2);
  assert.equal(db.prepare('SELECT count(*) FROM keys').pluck().get(), 0);
  assert.equal(db.prepare('SELECT count(*) FROM snapshots').pluck().get(), 0);
  closeAfterWrite(db);
}));

test('aux values: text as is, other bytes base64-prefixed', () => {
  assert.equal(auxJson([['a', Buffer.from('x y')], ['b', Uint8Array.from([0xc3])]]), '{"a":"x y","b":"base64:ww=="}');
});

test('a file that is not an inventory is refused with one line', () => withDir((dir) => {
  const other = join(dir, 'other.sqlite');
  const d = new Database(other);
  d.exec('CREATE TABLE t (x)');
  d.close();
  assert.throws(() => openForWrite(other), { name: 'UserError', message: /not an rdbscope inventory/ });
}));

test('key_text is computed from the key bytes, not stored: the same text, NULL for bytes that are not UTF-8', () => withDir((dir) => {
  const db = openForWrite(join(dir, 'inv.sqlite'));
  const w = new InventoryWriter(db);
  const id = w.begin({ label: 'a', source: 'a.rdb', fileSize: 1, sha256: 'a' }, null);
  const text = ['user:1', 'caf\u00e9:\u{1f600}', 'nul\u0000in'];
  // r[2] says whether the key is UTF-8 (the decoding side checks it); the writer keeps only that flag
  const rows = text.map((t) => row(Buffer.from(t), null, 1)).map((r) => ((r[2] = 'x'), r));
  w.insertRows(id, [...rows, row(Uint8Array.from([0xc3, 0x28]), null, 1)]);
  w.finish(id, facts(4));
  const got = db.prepare('SELECT key_text, key_utf8 FROM keys ORDER BY rowid').raw().all();
  assert.deepEqual(got, [...text.map((t) => [t, 1]), [null, 0]]);
  const stored = db.prepare("SELECT name, hidden FROM pragma_table_xinfo('keys') WHERE name = 'key_text'").get() as { hidden: number };
  assert.equal(stored.hidden, 2, 'a virtual generated column');
  closeAfterWrite(db);
}));

test('an inventory made before: its key index is retired, top_keys gets rowids, new rows store key_text', () => withDir((dir) => {
  const path = join(dir, 'old.sqlite');
  // The schema as it was: key_text stored, no key_utf8, top_keys without row, and the index on key bytes.
  const old = schemaSql()
    .replace(/key_text\s+TEXT GENERATED[^\n]*\n[^\n]*\n/, 'key_text TEXT,\n')
    .replace(/,([^\n]*)\n\s*key_utf8[^\n]*\n/, '$1\n')
    .replace(/,\s*row\s+INTEGER,[^\n]*\n/, ',\n');
  assert.doesNotMatch(old, /key_utf8|GENERATED|\brow\s+INTEGER/);
  const o = new Database(path);
  o.exec(old);
  o.exec("INSERT INTO meta VALUES ('schema_version', '1')");
  o.exec("INSERT INTO snapshots (id, source, started_at, status, summarized) VALUES (1, 'a.rdb', 'now', 'complete', 1)");
  o.exec(`INSERT INTO keys (snapshot_id, db, key, key_text, type, encoding, length, memory, rdb_bytes, slot, largest_element)
          VALUES (1, 0, CAST('small' AS BLOB), 'small', 'string', 'raw', 1, 10, 1, 0, 1),
                 (1, 0, CAST('big' AS BLOB), 'big', 'string', 'raw', 1, 99, 1, 0, 1)`);
  o.exec(`INSERT INTO top_keys VALUES (1, 1, 0, CAST('big' AS BLOB), 99), (1, 2, 0, CAST('small' AS BLOB), 10)`);
  o.exec('CREATE INDEX keys_by_bytes ON keys(key, snapshot_id)');
  o.close();

  const db = openForWrite(path);
  assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'keys_by_bytes'").get(), undefined, 'retired');
  assert.deepEqual(db.prepare('SELECT rank, row FROM top_keys ORDER BY rank').raw().all(), [[1, 2], [2, 1]]);
  const w = new InventoryWriter(db);
  const id = w.begin({ label: 'b', source: 'b.rdb', fileSize: 1, sha256: 'b' }, null);
  w.insertRows(id, [row(Buffer.from('new:1'), null, 5)].map((r) => ((r[2] = 'x'), r)));
  w.finish(id, facts(1));
  assert.equal(db.prepare('SELECT key_text FROM keys WHERE snapshot_id = ?').pluck().get(id), 'new:1');
  assert.deepEqual(db.prepare('SELECT row FROM top_keys WHERE snapshot_id = ?').pluck().all(id), [3]);
  closeAfterWrite(db);
}));
