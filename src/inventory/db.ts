/**
 * Opening an inventory file: the schema (schema.sql is the contract), the pragmas for a bulk load, and the
 * indexes that are built after it.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

export type Db = Database.Database;

export const SCHEMA_VERSION = '1';

/** Indexes created after a bulk load (and dropped before a big one): name, then definition. */
/**
 * Indexes built after each bulk load: by family (every rule groups by pattern), by memory (top keys) and by key
 * bytes (lookups, and diff's join of two snapshots, which without it takes minutes on millions of keys).
 */
export const KEY_INDEXES: ReadonlyArray<readonly [string, string]> = [
  ['keys_by_pattern', 'keys(snapshot_id, pattern)'],
  ['keys_by_memory', 'keys(snapshot_id, memory)'],
  ['keys_by_key', 'keys(snapshot_id, key)'],
];

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

/** The CREATE INDEX statements run after a load, as SQL text (for `rdbscope schema`). */
export function indexSql(): string {
  return KEY_INDEXES.map(([n, d]) => `CREATE INDEX IF NOT EXISTS ${n} ON ${d};`).join('\n') + '\n' +
    'CREATE INDEX IF NOT EXISTS snapshots_by_identity ON snapshots(sha256, file_size);\n';
}

function sqliteError(path: string, err: unknown): UserError {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new UserError(`${path}: not a usable rdbscope inventory (${msg})`);
}

/** Opens (creating when needed) an inventory for writing, with the schema in place and load-friendly pragmas. */
export function openForWrite(path: string): Db {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected an inventory file`);
  let db: Db;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL'); // a killed writer leaves the last committed state; readers never see a torn one
    db.pragma('synchronous = NORMAL'); // in WAL mode: no fsync per commit, still consistent after a power loss
    // Off: rows are only ever written with the id of the snapshot being loaded, and snapshots are deleted with
    // explicit DELETEs of their rows; a per-row foreign-key lookup would only slow the bulk load.
    db.pragma('foreign_keys = OFF');
    db.pragma('wal_autocheckpoint = 0'); // one checkpoint at the end of the load instead of one every 4 MB
    db.pragma('cache_size = -32768'); // 32 MiB: appends and index builds gain nothing from more, peak memory does
    // temp_store stays FILE (the default): index builds sort millions of rows, which would otherwise sit in RAM.
    db.pragma('busy_timeout = 5000');
    checkIsInventory(db, path);
    db.exec(schemaSql());
    addMissingColumns(db);
    db.prepare("INSERT OR IGNORE INTO meta(name, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    db.exec('CREATE INDEX IF NOT EXISTS snapshots_by_identity ON snapshots(sha256, file_size)');
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw sqliteError(path, err);
  }
  return db;
}

/** Columns added to schema version 1 after its first release, added to older files in place. */
const ADDED_COLUMNS: ReadonlyArray<readonly [string, string, string]> = [
  ['snapshots', 'memory_verified', 'INTEGER'],
  ['keys', 'value_format', 'TEXT'],
  ['keys', 'score_min', 'REAL'],
  ['keys', 'score_max', 'REAL'],
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
    checkIsInventory(db, path);
    return db;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw sqliteError(path, err);
  }
}

/** Drops the key indexes before a load that is big compared with what the table holds (rebuilt by createIndexes). */
export function dropIndexesForBulkLoad(db: Db, expectedNewBytes: number): void {
  const maxRowid = (db.prepare('SELECT max(rowid) FROM keys').pluck().get() as number | null) ?? 0;
  // Rough: a dump byte is worth much less than a key; keep the indexes when the table is already much bigger.
  const expectedKeys = expectedNewBytes / 64;
  if (maxRowid > 4 * expectedKeys) return;
  for (const [name] of KEY_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
}

export function createIndexes(db: Db, analyze: boolean): void {
  for (const [name, def] of KEY_INDEXES) db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${def}`);
  if (analyze) {
    db.pragma('analysis_limit = 1000'); // approximate statistics: enough for the planner, fast on big tables
    db.exec('ANALYZE');
  }
}

/** Leaves the file standing alone (no -wal/-shm), so that `sqlite3` and read-only opens see everything. */
export function closeAfterWrite(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
}
