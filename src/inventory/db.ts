/**
 * Opening an inventory file: the schema (schema.sql is the contract), the pragmas for a bulk load, and the
 * indexes that are built after it.
 */
import Database from 'better-sqlite3';
import {
  closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

export type Db = Database.Database;

export const SCHEMA_VERSION = '1';

/**
 * Indexes that earlier versions built, dropped when an inventory is next written. keys_by_bytes (on key bytes,
 * for diff) had to be rebuilt over every snapshot's rows after each load, so the eighth snapshot of a file cost
 * twice the first; the others made rules slower.
 */
const RETIRED_INDEXES = ['keys_by_bytes', 'keys_by_pattern', 'keys_by_memory', 'keys_by_key'];

let schemaText: string | null = null;

/** The text of schema.sql: next to this module (under tsx), or in src/ when running from dist/. */
export function schemaSql(): string {
  if (schemaText !== null) return schemaText;
  const candidates = [new URL('./schema.sql', import.meta.url), new URL('../../src/inventory/schema.sql', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return (schemaText = readFileSync(p, 'utf8'));
  }
  throw new Error(`schema.sql not found next to ${fileURLToPath(import.meta.url)}`);
}

/** The CREATE INDEX statements run when an inventory is opened for writing, as SQL text (for `rdbscope schema`). */
export function indexSql(): string {
  return 'CREATE INDEX IF NOT EXISTS snapshots_by_identity ON snapshots(sha256, file_size);\n';
}

/** The one-line error for an SQLite failure to open or set up an inventory, by what went wrong. */
export function sqliteError(path: string, err: unknown): UserError {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_READONLY_DIRECTORY') {
    return new UserError(`${path}: cannot write to the inventory: the file or its directory is read-only (${msg})`);
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') return new UserError(`${path}: cannot open the inventory (${msg})`);
  return new UserError(`${path}: not a usable rdbscope inventory (${msg})`);
}

/** Opens (creating when needed) an inventory for writing, with the schema in place and load-friendly pragmas. */
export function openForWrite(path: string): Db {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected an inventory file`);
  return openFile(path, path, false);
}

/**
 * `fresh`: a file that nobody else sees until it is renamed into place, so it needs no journal to stay
 * consistent (a killed load leaves no inventory at all), and skipping it halves what a load writes.
 */
function openFile(file: string, shownAs: string, fresh: boolean): Db {
  let db: Db;
  try {
    db = new Database(file);
    if (fresh) {
      db.pragma('journal_mode = MEMORY'); // rollback still works; nothing is written twice
      db.pragma('synchronous = OFF'); // the file is synced once, before it is renamed into place
    } else {
      db.pragma('journal_mode = WAL'); // a killed writer leaves the last committed state; readers never see a torn one
      db.pragma('synchronous = NORMAL'); // in WAL mode: no fsync per commit, still consistent after a power loss
    }
    // Off: rows are only ever written with the id of the snapshot being loaded, and snapshots are deleted with
    // explicit DELETEs of their rows; a per-row foreign-key lookup would only slow the bulk load.
    db.pragma('foreign_keys = OFF');
    db.pragma('wal_autocheckpoint = 0'); // one checkpoint at the end of the load instead of one every 4 MB
    db.pragma('cache_size = -16384'); // 16 MiB: appends and index builds gain nothing from more (measured on 2 M keys), peak memory does
    // temp_store stays FILE (the default): index builds sort millions of rows, which would otherwise sit in RAM.
    db.pragma('busy_timeout = 5000');
    checkIsInventory(db, shownAs);
    db.exec(schemaSql());
    addMissingColumns(db);
    db.prepare("INSERT OR IGNORE INTO meta(name, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    db.exec('CREATE INDEX IF NOT EXISTS snapshots_by_identity ON snapshots(sha256, file_size)');
    recordTopKeyRows(db);
    for (const name of RETIRED_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw sqliteError(shownAs, err);
  }
  return db;
}

/** An inventory opened for `rdbscope index`. */
export interface LoadTarget {
  readonly db: Db;
  /** Whether the inventory did not exist: it is built in a file beside it and appears whole at the end. */
  readonly fresh: boolean;
  /** Closes the inventory, leaving it standing alone (a fresh one is synced and moved into place). */
  close(): void;
  /** After an interruption: closes it; a fresh inventory is deleted, which leaves the state before the run. */
  abandon(): void;
}

const LOADING_SUFFIX = '.loading-';
const PART_SUFFIX = '.part-';

/** The part file of job `n` of this process for the inventory at `path` (see openPart). */
export function partPath(path: string, n: number): string {
  return `${path}${PART_SUFFIX}${process.pid}-${n}`;
}

/**
 * A new inventory file that only this load uses, for one dump's rows written on its decoding thread (no journal,
 * no syncs: if the load dies, the file is deleted by the next one). Replaces a file left at that path.
 */
export function openPart(path: string): Db {
  removeQuietly(path);
  return openFile(path, path, true);
}

/** Deletes a part file (and its journal). */
export function removePart(path: string): void {
  removeQuietly(path);
}

/**
 * Opens the inventory at `path` for a load. When it exists, rows go in through its write-ahead log (see
 * writer.ts for what a reader sees meanwhile). When it does not, it is built as `path.loading-PID` and renamed
 * to `path` once closed: a load killed at any moment leaves no inventory, and the next run deletes the leftover.
 */
export function openForLoad(path: string): LoadTarget {
  removeDeadLeftovers(path);
  if (existsSync(path)) {
    const db = openForWrite(path);
    return { db, fresh: false, close: () => closeAfterWrite(db), abandon: () => db.close() };
  }
  const tmp = `${path}${LOADING_SUFFIX}${process.pid}`;
  let db: Db;
  try {
    db = openFile(tmp, path, true);
  } catch (err) {
    removeQuietly(tmp);
    const why = err instanceof Error ? err.message.replace(/^.*\(|\)$/g, '') : String(err);
    throw new UserError(`${path}: cannot create the inventory (${why})`);
  }
  return {
    db,
    fresh: true,
    close: () => {
      db.close();
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const taken = (): UserError =>
        new UserError(`${path}: created by another process during this load; this load's inventory is at ${tmp}`);
      let linked = false;
      try {
        linkSync(tmp, path); // unlike rename, fails instead of replacing an inventory made meanwhile by someone else
        linked = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw taken();
        // a file system without hard links: rename, after the same check (which leaves a moment for a race)
        if (existsSync(path)) throw taken();
        renameSync(tmp, path);
      }
      if (linked) unlinkSync(tmp);
      syncDir(dirname(path));
    },
    abandon: () => {
      db.close();
      removeQuietly(tmp);
    },
  };
}

/** Deletes `path.loading-PID` and `path.part-PID-N` files left by loads whose process is gone. */
function removeDeadLeftovers(path: string): void {
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const prefix = [LOADING_SUFFIX, PART_SUFFIX].map((s) => basename(path) + s).find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    // PID, PID-journal, PID-N, PID-N-journal
    const pid = Number(name.slice(prefix.length).replace(/-journal$/, '').replace(/-\d+$/, ''));
    if (!Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && processAlive(pid))) continue;
    removeQuietly(join(dir, name));
  }
}

/** Whether a process of this pid exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeQuietly(file: string): void {
  for (const f of [file, `${file}-journal`]) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every file system can sync a directory; the data itself is synced
  }
}

/** Columns added to schema version 1 after its first release, added to older files in place. */
const ADDED_COLUMNS: ReadonlyArray<readonly [string, string, string]> = [
  ['snapshots', 'memory_verified', 'INTEGER'],
  ['keys', 'value_format', 'TEXT'],
  ['keys', 'score_min', 'REAL'],
  ['keys', 'score_max', 'REAL'],
  ['snapshots', 'memory_allocator', 'TEXT'],
  ['snapshots', 'summarized', 'INTEGER'],
  ['top_keys', 'row', 'INTEGER'],
];

function addMissingColumns(db: Db): void {
  for (const [table, column, type] of ADDED_COLUMNS) {
    const cols = (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
    if (!cols.includes(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}

/** Refuses an SQLite file that holds other tables and no rdbscope meta row, or a newer schema. */
function checkIsInventory(db: Db, path: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  if (tables.length === 0) return;
  if (!tables.includes('meta')) throw new UserError(`${path}: an SQLite file but not an rdbscope inventory (no meta table)`);
  const v = db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").pluck().get() as string | undefined;
  if (v === undefined) throw new UserError(`${path}: an SQLite file but not an rdbscope inventory (no schema_version)`);
  if (v !== SCHEMA_VERSION) throw new UserError(`${path}: inventory schema version ${v}, this rdbscope reads version ${SCHEMA_VERSION}`);
}

/** Opens an existing inventory read-only. */
export function openForRead(path: string): Db {
  if (!existsSync(path)) throw new UserError(`${path}: no such inventory (create one with \`rdbscope index DUMP --out ${path}\`)`);
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected an inventory file`);
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    // Default page cache and no memory-mapping, on purpose: a larger cache made the sorts of GROUP BY slower, and
    // mapping the file made whole-snapshot reads up to twice as fast but put the file into the resident memory of
    // every connection (recommend on 2 M keys: 550 MB instead of 180 MB).
    checkIsInventory(db, path);
    // An inventory written before server facts existed reads as one without any (rules and reports query them).
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_facts'").get() === undefined) {
      db.exec('CREATE TEMP TABLE server_facts (snapshot_id INTEGER, source TEXT, name TEXT, value TEXT, read_at TEXT, refused TEXT)');
    }
    return db;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw sqliteError(path, err);
  }
}

/** After a load: approximate statistics for the planner (bounded work, whatever the size of the file). */
export function analyzeAfterLoad(db: Db): void {
  db.pragma('analysis_limit = 1000');
  db.exec('ANALYZE');
}

/**
 * Summaries made before top_keys recorded the rowid of each key: their rows are found once, by key bytes, while
 * the old key index still exists (it is dropped right after). Without it, the report finds them by key bytes.
 */
function recordTopKeyRows(db: Db): void {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'keys_by_bytes'").get() === undefined) return;
  if (db.prepare('SELECT 1 FROM top_keys WHERE row IS NULL LIMIT 1').get() === undefined) return;
  db.exec(`UPDATE top_keys SET row = (SELECT k.rowid FROM keys k INDEXED BY keys_by_bytes
             WHERE k.key = top_keys.key AND k.snapshot_id = top_keys.snapshot_id AND k.db = top_keys.db
               AND k.memory = top_keys.memory ORDER BY k.rowid LIMIT 1)
           WHERE row IS NULL`);
}

/**
 * Whether keys.key_text is computed from key_utf8 (inventories made since it is), rather than a stored column
 * that the writer fills (older ones: SQLite cannot turn a column into a computed one in place).
 */
export function keyTextComputed(db: Db): boolean {
  const cols = db.pragma('table_xinfo(keys)') as Array<{ name: string; hidden: number }>;
  return cols.some((c) => c.name === 'key_text' && c.hidden !== 0);
}

/** Leaves the file standing alone (no -wal/-shm), so that `sqlite3` and read-only opens see everything. */
export function closeAfterWrite(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
}
