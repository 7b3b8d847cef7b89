/**
 * Builds inventories directly with the schema contract (src/inventory/schema.sql), for tests of the stages that
 * read them (rules, report). Rows are inserted as `rdbscope index` would write them.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION } from '../../src/inventory/db.js';
import { summarizeInSql } from '../../src/inventory/writer.js';

const SCHEMA = new URL('../../src/inventory/schema.sql', import.meta.url);

export interface KeyRow {
  db?: number;
  key: string | Buffer;
  type: string;
  encoding: string;
  length: number;
  memory: number;
  rdb_bytes?: number;
  expires_at?: number | null;
  idle_s?: number | null;
  freq?: number | null;
  largest_element?: number;
  pattern?: string | null;
  compress_ratio?: number | null;
}

export interface SnapshotInit {
  label?: string;
  writer?: string | null;
  magic?: string;
  rdb_version?: number;
  ctime?: number | null;
}

export function createInventory(path: string): Database.Database {
  const db = new Database(path);
  db.exec(readFileSync(SCHEMA, 'utf8'));
  db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
  return db;
}

/** Adds a complete snapshot holding `keys`, with its dbs rows, totals and summaries; returns its id. */
export function addSnapshot(db: Database.Database, init: SnapshotInit, keys: KeyRow[]): number {
  const info = db.prepare(`INSERT INTO snapshots (label, source, magic, rdb_version, writer, ctime, started_at, status)
    VALUES (?, ?, ?, ?, ?, ?, ?, 'loading')`).run(init.label ?? 'test', 'test.rdb', init.magic ?? 'REDIS',
    init.rdb_version ?? 11, init.writer === undefined ? 'redis 7.2.4' : init.writer,
    init.ctime === undefined ? 1_700_000_000 : init.ctime, new Date().toISOString());
  const id = Number(info.lastInsertRowid);
  const ins = db.prepare(`INSERT INTO keys (snapshot_id, db, key, key_utf8, type, encoding, length, memory, rdb_bytes,
    expires_at, idle_s, freq, slot, largest_element, pattern, compress_ratio)
    VALUES (@snapshot_id, @db, @key, @key_utf8, @type, @encoding, @length, @memory, @rdb_bytes, @expires_at, @idle_s,
    @freq, 0, @largest_element, @pattern, @compress_ratio)`);
  db.transaction(() => {
    for (const k of keys) {
      const key = typeof k.key === 'string' ? Buffer.from(k.key) : k.key;
      const text = new TextDecoder('utf-8', { fatal: false }).decode(key);
      ins.run({
        snapshot_id: id, db: k.db ?? 0, key, key_utf8: Buffer.from(text).equals(key) ? 1 : 0, type: k.type,
        encoding: k.encoding, length: k.length, memory: k.memory, rdb_bytes: k.rdb_bytes ?? Math.ceil(k.memory / 2),
        expires_at: k.expires_at ?? null, idle_s: k.idle_s ?? null, freq: k.freq ?? null,
        largest_element: k.largest_element ?? (k.type === 'string' ? k.length : 8), pattern: k.pattern ?? null,
        compress_ratio: k.compress_ratio ?? null,
      });
    }
    db.prepare(`INSERT INTO dbs (snapshot_id, db, keys, expires, memory)
      SELECT snapshot_id, db, COUNT(*), COUNT(expires_at), SUM(memory) FROM keys WHERE snapshot_id = ? GROUP BY db`).run(id);
    summarizeInSql(db, id); // key_groups and top_keys, which index computes as it loads
    db.prepare(`UPDATE snapshots SET status = 'complete', summarized = 1, finished_at = @at, key_count = (SELECT COUNT(*) FROM keys
      WHERE snapshot_id = @id), memory_total = (SELECT COALESCE(SUM(memory), 0) FROM keys WHERE snapshot_id = @id)
      WHERE id = @id`).run({ at: new Date().toISOString(), id });
  })();
  return id;
}
