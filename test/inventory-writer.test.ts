import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { DumpFacts, KeyRow } from '../src/inventory/batch.js';
import { closeAfterWrite, createIndexes, dropIndexesForBulkLoad, openForWrite } from '../src/inventory/db.js';
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
  createIndexes(db, true);
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

test('the key index is kept for a load that is small next to the table, rebuilt after a big one', () => withDir((dir) => {
  const db = openForWrite(join(dir, 'inv.sqlite'));
  const w = new InventoryWriter(db);
  // 3,300 keys from a 330,000-byte file: 100 bytes a key
  const id = w.begin({ label: 'a', source: 'a.rdb', fileSize: 330_000, sha256: 'a' }, null);
  w.insertRows(id, Array.from({ length: 3300 }, (_, i) => row(Buffer.from(`k:${i}`), 'k:{n}', 1)));
  w.finish(id, facts(3300));
  createIndexes(db, true);
  const hasKeyIndex = (): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'keys_by_bytes'").get() !== undefined;
  assert.ok(hasKeyIndex());
  dropIndexesForBulkLoad(db, 100 * 100); // about 100 new keys: 3,300 rows is over 32 times that
  assert.ok(hasKeyIndex(), 'kept for a small load');
  dropIndexesForBulkLoad(db, 100 * 200); // about 200 new keys: under 32 times
  assert.ok(!hasKeyIndex(), 'dropped before a big load');
  assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'keys_by_snapshot'").get(), 'the snapshot index stays');
  createIndexes(db, true);
  assert.ok(hasKeyIndex(), 'rebuilt');
  closeAfterWrite(db);
}));
