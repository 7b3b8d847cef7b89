/**
 * Writes snapshots into an inventory. A snapshot row is inserted with status 'loading' in its own transaction,
 * keys go in batched transactions, and status 'complete' with key_count is set last, in the transaction that also
 * writes the per-dump facts: a reader (and every view) sees a snapshot whole or not at all.
 */
import { isUtf8 } from 'node:buffer';
import type Database from 'better-sqlite3';
import { keyTextComputed, type Db } from './db.js';
import { auxInteger, KEY_COLUMNS, type DumpFacts, type KeyRow } from './batch.js';
import { forEachRow, packRows, type PackedBatch } from './pack.js';
import type { Shapes } from '../shapes/analyze.js';
import { writeDuplicates } from './duplicates.js';
import { GROUP_COLUMNS, GROUP_SQL, groupValues, SnapshotSummary, TOP_SQL } from './groups.js';

export interface SnapshotIdentity {
  label: string;
  source: string;
  fileSize: number | null;
  sha256: string | null;
}

export interface ExistingSnapshot {
  id: number;
  label: string | null;
  source: string;
  status: string;
}

interface Range {
  first: number;
  last: number;
}

const textDecoder = new TextDecoder();

/** Rows per multi-row INSERT (22 columns x 50 = 1,100 parameters, well under SQLite's limit). */
const CHUNK_ROWS = 50;

/** The default of each keys column that a chunk may leave out (schema.sql): NULL, or 0. */
const COLUMN_DEFAULTS: Readonly<Record<string, null | 0>> = {
  key_text: null, key_utf8: 0, expires_at: null, idle_s: null, freq: null, field_ttls: 0, min_field_expires_at: null,
  pattern: null, compress_ratio: null, module: null, value_format: null, score_min: null, score_max: null,
};

interface Chunk {
  stmt: Database.Statement;
  /** Positions (in the full column list) of the columns it binds. */
  keep: number[];
  params: unknown[];
}

/** Aux fields as one JSON object; values that are not UTF-8 text are base64 with a 'base64:' prefix. */
export function auxJson(aux: Array<[string, Uint8Array]>): string {
  const o: Record<string, string> = {};
  for (const [name, v] of aux) o[name] = isUtf8(v) ? textDecoder.decode(v) : `base64:${Buffer.from(v).toString('base64')}`;
  return JSON.stringify(o);
}

function auxText(aux: Array<[string, Uint8Array]>, name: string): string | null {
  for (const [n, v] of aux) if (n === name) return textDecoder.decode(v);
  return null;
}

function auxInt(aux: Array<[string, Uint8Array]>, name: string): number | null {
  const t = auxText(aux, name);
  return t === null ? null : auxInteger(t);
}

export class InventoryWriter {
  private readonly insertKey: Database.Statement;
  private readonly ranges = new Map<number, Range>();
  /** Per snapshot being loaded: its summary so far, or null once it cannot be trusted (then SQL computes it). */
  private readonly summaries = new Map<number, SnapshotSummary | null>();
  private readonly maxRowid: Database.Statement;
  private readonly insertMany: (id: number, b: PackedBatch) => void;

  constructor(private readonly db: Db) {
    // key_text is computed from key_utf8 in inventories made since it is; older ones store the text.
    const computed = keyTextComputed(db);
    const cols = ['snapshot_id', ...KEY_COLUMNS.map((c) => (c === 'key_text' && computed ? 'key_utf8' : c))];
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    const head = `INSERT INTO keys (${cols.join(', ')}) VALUES `;
    this.insertKey = db.prepare(head + tuple);
    this.maxRowid = db.prepare('SELECT max(rowid) FROM keys').pluck();
    const width = cols.length;
    // Columns that a chunk's INSERT leaves out when all its rows hold the column's default (binding a value costs
    // about as much as SQLite storing it, and most rows have no idle time, LFU counter, module, field TTLs...).
    const optional = cols.flatMap((c, i) => (c in COLUMN_DEFAULTS ? [i] : []));
    const defaults = optional.map((i) => COLUMN_DEFAULTS[cols[i]!]);
    const chunks = new Map<number, Chunk>();
    const chunkFor = (mask: number): Chunk => {
      let ch = chunks.get(mask);
      if (ch === undefined) {
        const keep = cols.flatMap((_, i) => {
          const o = optional.indexOf(i);
          return o < 0 || mask & (1 << o) ? [i] : [];
        });
        const t = `(${keep.map(() => '?').join(', ')})`;
        // Many rows per statement: the per-call cost of binding and stepping is paid once per CHUNK_ROWS rows.
        const stmt = db.prepare(`INSERT INTO keys (${keep.map((i) => cols[i]).join(', ')}) VALUES ${Array(CHUNK_ROWS).fill(t).join(', ')}`);
        chunks.set(mask, (ch = { stmt, keep, params: new Array(CHUNK_ROWS * keep.length) }));
      }
      return ch;
    };
    const params: unknown[] = new Array(CHUNK_ROWS * width);
    const runChunk = (mask: number): number => {
      const ch = chunkFor(mask);
      if (ch.keep.length === width) return Number(ch.stmt.run(params).lastInsertRowid);
      const out = ch.params;
      const keep = ch.keep;
      let j = 0;
      for (let r = 0; r < CHUNK_ROWS; r++) {
        const base = r * width;
        for (let k = 0; k < keep.length; k++) out[j++] = params[base + keep[k]!];
      }
      return Number(ch.stmt.run(out).lastInsertRowid);
    };
    this.insertMany = db.transaction((id: number, b: PackedBatch) => {
      let last = 0;
      let filled = 0;
      let mask = 0;
      // Rows get consecutive rowids within the transaction (this connection is the only writer): row i is first + i.
      const first = ((this.maxRowid.get() as number | null) ?? 0) + 1;
      const summary = this.summaries.get(id) ?? null;
      let row = first;
      forEachRow(b, computed, (r) => {
        summary?.add(r, row++);
        const base = filled * width;
        params[base] = id;
        for (let c = 0; c < r.length; c++) params[base + 1 + c] = r[c];
        if (computed) params[base + 3] = r[2] === null ? 0 : 1;
        for (let o = 0; o < optional.length; o++) if (params[base + optional[o]!] !== defaults[o]) mask |= 1 << o;
        if (++filled === CHUNK_ROWS) {
          last = runChunk(mask);
          filled = 0;
          mask = 0;
        }
      });
      for (let i = 0; i < filled; i++) last = Number(this.insertKey.run(params.slice(i * width, (i + 1) * width)).lastInsertRowid);
      if (summary !== null && last !== first + b.n - 1) this.summaries.set(id, null);
      const range = this.ranges.get(id);
      if (range) range.last = last;
      else this.ranges.set(id, { first: last - b.n + 1, last });
    });
  }

  /** Complete snapshots of the same file content. */
  findComplete(sha256: string, size: number): ExistingSnapshot[] {
    return this.db
      .prepare("SELECT id, label, source, status FROM snapshots WHERE sha256 = ? AND file_size = ? AND status = 'complete'")
      .all(sha256, size) as ExistingSnapshot[];
  }

  /** Whether a complete snapshot of a file of this size exists. */
  hasCompleteOfSize(size: number): boolean {
    return this.db.prepare("SELECT 1 FROM snapshots WHERE file_size = ? AND status = 'complete' LIMIT 1").get(size) !== undefined;
  }

  /** Records the file's sha256 once it is known (hashed while the dump was decoded). */
  setSha256(id: number, sha256: string): void {
    this.db.prepare('UPDATE snapshots SET sha256 = ? WHERE id = ?').run(sha256, id);
  }

  /** Deletes snapshots of the same file left 'loading' or 'failed' by an earlier run; returns how many. */
  removeStale(id: SnapshotIdentity): number {
    const stale = this.db
      .prepare(`SELECT id FROM snapshots WHERE status IN ('loading', 'failed')
                AND ((sha256 IS NOT NULL AND sha256 = ? AND file_size = ?) OR source = ?)`)
      .pluck()
      .all(id.sha256, id.fileSize, id.source) as number[];
    for (const s of stale) this.deleteSnapshot(s);
    return stale.length;
  }

  deleteSnapshot(id: number): void {
    this.db.transaction(() => {
      for (const t of SNAPSHOT_TABLES) this.db.prepare(`DELETE FROM ${t} WHERE snapshot_id = ?`).run(id);
      this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(id);
    })();
  }

  /** Inserts the snapshot row, status 'loading', committed on its own; returns its id. */
  begin(id: SnapshotIdentity, memoryModel: string | null): number {
    const r = this.db
      .prepare(`INSERT INTO snapshots (label, source, file_size, sha256, memory_model, started_at, status)
                VALUES (?, ?, ?, ?, ?, ?, 'loading')`)
      .run(id.label, id.source, id.fileSize, id.sha256, memoryModel, new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  /**
   * One batch of keys in one transaction. `ctimeMs`: the dump's ctime (aux, in ms; null: none) as known when the
   * batch was decoded, which the TTL classes of the summary are relative to.
   */
  insertBatch(id: number, b: PackedBatch, ctimeMs: number | null = null): void {
    if (!this.summaries.has(id)) {
      this.summaries.set(id, new SnapshotSummary(ctimeMs));
    } else if (this.summaries.get(id)?.nowMs !== ctimeMs) {
      this.summaries.set(id, null);
    }
    if (b.n > 0) this.insertMany(id, b);
  }

  insertRows(id: number, rows: KeyRow[], ctimeMs: number | null = null): void {
    this.insertBatch(id, packRows(rows), ctimeMs);
  }

  /** Writes the dump's facts, applies pattern foldings and marks the snapshot complete, all in one transaction. */
  finish(id: number, f: DumpFacts): void {
    const db = this.db;
    db.transaction(() => {
      this.applyFolds(id, f.patternFolds);
      const insDb = db.prepare('INSERT INTO dbs (snapshot_id, db, keys, expires, memory, resize_keys, resize_expires) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const s of f.dbs) insDb.run(id, s.db, s.keys, s.expires, s.memory, s.resizeKeys, s.resizeExpires);
      const insMod = db.prepare('INSERT INTO modules (snapshot_id, name, version, kind, keys, bytes) VALUES (?, ?, ?, ?, ?, ?)');
      for (const m of f.modules) insMod.run(id, m.name, m.version, m.kind, m.keys, m.bytes);
      const insFn = db.prepare('INSERT INTO functions (snapshot_id, name, engine, code) VALUES (?, ?, ?, ?)');
      for (const fn of f.functions) insFn.run(id, fn.name, fn.engine, fn.code);
      const insField = db.prepare(
        'INSERT INTO hash_fields (snapshot_id, pattern, field, field_text, hashes, family_hashes) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const h of f.hashFields) {
        const field = Buffer.from(h.field.buffer, h.field.byteOffset, h.field.length);
        insField.run(id, h.pattern, field, isUtf8(field) ? field.toString('utf8') : null, h.hashes, h.familyHashes);
      }
      if (f.shapes) writeShapes(db, id, f.shapes);
      const redisVer = auxText(f.aux, 'redis-ver');
      const valkeyVer = auxText(f.aux, 'valkey-ver');
      const writer = valkeyVer !== null ? `valkey ${valkeyVer}` : redisVer !== null ? `redis ${redisVer}` : null;
      db.prepare(`UPDATE snapshots SET magic = ?, rdb_version = ?, writer = ?, ctime = ?, used_mem = ?, repl_id = ?,
                  aux_json = ?, memory_model = ?, finished_at = ?, status = 'complete', key_count = ?, memory_total = ?,
                  checksum = ?, memory_verified = ?, memory_allocator = ?, summarized = 1 WHERE id = ?`)
        .run(f.magic, f.rdbVersion, writer, auxInt(f.aux, 'ctime'), auxInt(f.aux, 'used-mem'), auxText(f.aux, 'repl-id'),
          auxJson(f.aux), f.memoryModel, new Date().toISOString(), f.keyCount, f.memoryTotal, f.checksum,
          f.memoryVerified === null ? null : Number(f.memoryVerified), f.memoryAllocator, id);
      this.writeSummary(id, f, auxInt(f.aux, 'ctime')); // after the row: GROUP_SQL reads its ctime
      const range = this.ranges.get(id);
      if (range) writeDuplicates(db, id, range.first, range.last); // reads key_groups and value_formats
    })();
    this.ranges.delete(id);
    this.summaries.delete(id);
  }

  /**
   * key_groups and top_keys of the snapshot: from what was accumulated while its rows went in, or, when that
   * cannot be used (rows out of rowid order, or a ctime that changed mid-dump), from its rows in SQL.
   */
  private writeSummary(id: number, f: DumpFacts, ctime: number | null): void {
    const db = this.db;
    const s = this.summaries.get(id);
    if (!s || s.nowMs !== (ctime === null ? null : ctime * 1000)) {
      summarizeInSql(db, id);
      return;
    }
    const ins = db.prepare(`INSERT INTO key_groups (${GROUP_COLUMNS.join(', ')}) VALUES (${GROUP_COLUMNS.map(() => '?').join(', ')})`);
    for (const g of s.rows(f.patternFolds)) ins.run(groupValues(id, g));
    const top = db.prepare('INSERT INTO top_keys (snapshot_id, rank, db, key, memory, row) VALUES (?, ?, ?, ?, ?, ?)');
    s.topKeys().forEach((t, i) => top.run(id, i + 1, t.db, t.key, t.memory, t.row));
  }

  /**
   * Makes snapshot `id` (status 'loading') the copy of the one complete snapshot of the part file at `part`
   * (written by a decoding thread: see run.ts), in one transaction: its rows in their order, its summaries with
   * their rowids moved to where the rows land, its per-dump facts, and status 'complete' last.
   */
  absorb(id: number, part: string): void {
    const db = this.db;
    db.prepare('ATTACH DATABASE ? AS part').run(part);
    try {
      db.transaction(() => {
        const src = db.prepare("SELECT id, key_count FROM part.snapshots WHERE status = 'complete'").all() as Array<{ id: number; key_count: number }>;
        if (src.length !== 1) throw new Error(`${part}: expected one complete snapshot, found ${src.length}`);
        const p = src[0]!;
        const offset = (this.maxRowid.get() as number | null) ?? 0;
        // Stored columns of this inventory's keys (key_text in older files, key_utf8 in newer): the part has both.
        const cols = (db.pragma('main.table_xinfo(keys)') as Array<{ name: string; hidden: number }>)
          .filter((c) => c.hidden === 0 && c.name !== 'snapshot_id').map((c) => c.name).join(', ');
        const n = db.prepare(`INSERT INTO main.keys (snapshot_id, ${cols}) SELECT @id, ${cols} FROM part.keys
          WHERE snapshot_id = @p ORDER BY rowid`).run({ id, p: p.id }).changes;
        const last = (this.maxRowid.get() as number | null) ?? 0;
        if (n !== p.key_count || last !== offset + n) throw new Error(`${part}: ${n} rows copied of ${p.key_count}, not in one run of rowids`);
        // The part's rows, first..first+n-1 in load order, are offset+1..offset+n here: rowids move by `shift`.
        const first = (db.prepare('SELECT min(rowid) FROM part.keys WHERE snapshot_id = ?').pluck().get(p.id) as number | null) ?? 1;
        const shift = offset + 1 - first;
        const gc = GROUP_COLUMNS.filter((c) => c !== 'snapshot_id');
        db.prepare(`INSERT INTO main.key_groups (snapshot_id, ${gc.join(', ')})
          SELECT @id, ${gc.map((c) => (c === 'first_row' ? 'first_row + @shift' : c)).join(', ')}
          FROM part.key_groups WHERE snapshot_id = @p`).run({ id, p: p.id, shift });
        db.prepare(`INSERT INTO main.top_keys (snapshot_id, rank, db, key, memory, row)
          SELECT @id, rank, db, key, memory, row + @shift FROM part.top_keys WHERE snapshot_id = @p`).run({ id, p: p.id, shift });
        for (const [t, c] of [
          ['dbs', 'db, keys, expires, memory, resize_keys, resize_expires'], ['modules', 'name, version, kind, keys, bytes'],
          ['functions', 'name, engine, code'], ['hash_fields', 'pattern, field, field_text, hashes, family_hashes'],
          ...SHAPE_TABLES.map(([t, cols]) => [t, cols.join(', ')] as const),
          ['duplicate_families', 'pattern, other, shared_ids, keys, memory, other_keys, other_memory, older, reason'],
        ] as const) {
          db.prepare(`INSERT INTO main.${t} (snapshot_id, ${c}) SELECT @id, ${c} FROM part.${t} WHERE snapshot_id = @p`).run({ id, p: p.id });
        }
        db.prepare(`INSERT INTO main.duplicate_keys (snapshot_id, pattern, other, key_row)
          SELECT @id, pattern, other, key_row + @shift FROM part.duplicate_keys WHERE snapshot_id = @p`).run({ id, p: p.id, shift });
        const facts = ['magic', 'rdb_version', 'writer', 'ctime', 'used_mem', 'repl_id', 'aux_json', 'memory_model', 'finished_at',
          'key_count', 'memory_total', 'checksum', 'memory_verified', 'memory_allocator', 'summarized', 'status'];
        db.prepare(`UPDATE main.snapshots SET (${facts.join(', ')}) = (SELECT ${facts.join(', ')} FROM part.snapshots WHERE id = @p)
          WHERE id = @id`).run({ id, p: p.id });
      })();
    } finally {
      db.exec('DETACH DATABASE part');
    }
  }

  /** Marks a snapshot failed with a one-line error (its rows stay, invisible to the views). */
  fail(id: number, message: string): void {
    this.db
      .prepare("UPDATE snapshots SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'loading'")
      .run(message.split('\n')[0], new Date().toISOString(), id);
    this.ranges.delete(id);
    this.summaries.delete(id);
  }

  private applyFolds(id: number, folds: Array<[string, string]>): void {
    const range = this.ranges.get(id);
    if (folds.length === 0 || !range) return;
    const db = this.db;
    db.exec('CREATE TEMP TABLE IF NOT EXISTS folds (f TEXT PRIMARY KEY, t TEXT NOT NULL)');
    db.exec('DELETE FROM temp.folds');
    const ins = db.prepare('INSERT OR REPLACE INTO temp.folds (f, t) VALUES (?, ?)');
    for (const [f, t] of folds) ins.run(f, t);
    db.prepare(`UPDATE keys SET pattern = (SELECT t FROM temp.folds WHERE f = keys.pattern)
                WHERE rowid BETWEEN ? AND ? AND snapshot_id = ? AND pattern IN (SELECT f FROM temp.folds)`)
      .run(range.first, range.last, id);
  }
}

/** Tables that hold rows of one snapshot (deleted with it). */
const SNAPSHOT_TABLES = ['keys', 'functions', 'modules', 'dbs', 'hash_fields', 'key_groups', 'top_keys', 'value_shapes', 'value_formats', 'value_fields', 'duplicate_families', 'duplicate_keys', 'server_facts'];

/** The value-shape tables and their columns (besides snapshot_id), in the order writeShapes binds them. */
const SHAPE_TABLES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['value_shapes', ['pattern', 'type', 'keys', 'sampled', 'sampled_values', '"values"', 'bytes', 'memory', 'deflate_ratio',
    'deflate_ratio_error', 'deflate_savings', 'deflate_savings_error', 'json_share', 'json_measured', 'msgpack_ratio',
    'msgpack_ratio_error', 'msgpack_savings', 'msgpack_savings_error', 'msgpack_deflate_ratio', 'msgpack_deflate_ratio_error',
    'msgpack_deflate_savings', 'msgpack_deflate_savings_error', 'flat_json_share', 'hash_savings', 'hash_savings_error',
    'compressed_share', 'compressed_bytes']],
  ['value_formats', ['pattern', 'format', 'share', 'share_error', 'bytes_share', '"values"', 'bytes']],
  ['value_fields', ['pattern', 'path', 'type', 'present', 'present_error', 'bytes', 'share_of_bytes', 'share_error', 'avg_bytes']],
];

function insertInto(db: Db, table: string, id: number, rows: unknown[][]): void {
  const cols = SHAPE_TABLES.find(([t]) => t === table)![1];
  const ins = db.prepare(`INSERT INTO ${table} (snapshot_id, ${cols.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')})`);
  for (const r of rows) ins.run(id, ...r);
}

/** The value shapes of snapshot `id` (in the transaction that completes it). */
function writeShapes(db: Db, id: number, s: Shapes): void {
  insertInto(db, 'value_shapes', id, s.families.map((f) => [f.pattern, f.type, f.keys, f.sampled, f.sampledValues, f.values, f.bytes,
    f.memory, f.deflateRatio, f.deflateRatioError, f.deflateSavings, f.deflateSavingsError, f.jsonShare, f.jsonMeasured,
    f.msgpackRatio, f.msgpackRatioError, f.msgpackSavings, f.msgpackSavingsError, f.msgpackDeflateRatio, f.msgpackDeflateRatioError,
    f.msgpackDeflateSavings, f.msgpackDeflateSavingsError, f.flatJsonShare, f.hashSavings, f.hashSavingsError, f.compressedShare,
    f.compressedBytes]));
  insertInto(db, 'value_formats', id, s.formats.map((f) => [f.pattern, f.format, f.share, f.shareError, f.bytesShare, f.values, f.bytes]));
  insertInto(db, 'value_fields', id, s.fields.map((f) => [f.pattern, f.path, f.type, f.present, f.presentError, f.bytes,
    f.shareOfBytes, f.shareError, f.avgBytes]));
}

/** Computes key_groups and top_keys of snapshot `id` from its rows (replacing any it has). */
export function summarizeInSql(db: Db, id: number): void {
  db.prepare('DELETE FROM key_groups WHERE snapshot_id = ?').run(id);
  db.prepare('DELETE FROM top_keys WHERE snapshot_id = ?').run(id);
  db.prepare(GROUP_SQL).run({ s: id });
  db.prepare(TOP_SQL).run({ s: id });
}

/**
 * Summarizes the complete snapshots of an inventory made before summaries existed (one transaction each);
 * returns their ids.
 */
export function summarizeOlderSnapshots(db: Db): number[] {
  const ids = db.prepare("SELECT id FROM snapshots WHERE status = 'complete' AND summarized IS NOT 1 ORDER BY id").pluck().all() as number[];
  for (const id of ids) {
    db.transaction(() => {
      summarizeInSql(db, id);
      db.prepare('UPDATE snapshots SET summarized = 1 WHERE id = ?').run(id);
    })();
  }
  return ids;
}
