/**
 * Exporting snapshots of an SQLite inventory as a Parquet dataset (layout in tables.ts). Rows are read from
 * SQLite in table order and appended to a DuckDB buffer table; every `rowsPerFile` rows the buffer is written
 * out as one Parquet file (COPY ... TO, zstd or snappy, row groups of `rowGroupSize`) and emptied, so that memory
 * stays bounded by one file's rows however many keys a snapshot has. Everything is written into a staging folder
 * inside DIR (a name starting with '.', which Spark, Trino and DuckDB globs skip) and moved into place at the
 * end, snapshots.parquet last: an interrupted export leaves the dataset as it was.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import { processAlive, type Db } from '../inventory/db.js';
import { openDuck, sqlName, sqlString } from './duck.js';
import { KEYS_TABLE, PARTITIONED_TABLES, SNAPSHOTS_TABLE, type ExportTable } from './tables.js';

export type Compression = 'zstd' | 'snappy';
export const COMPRESSIONS: readonly Compression[] = ['zstd', 'snappy'];

export interface ExportOptions {
  readonly compression?: Compression;
  /** Rows a Parquet file of keys holds at most (default 1,000,000): what the export holds in memory at a time. */
  readonly rowsPerFile?: number;
  /** Rows a row group holds (default 122,880, DuckDB's own: a unit that scans well in every engine). */
  readonly rowGroupSize?: number;
  /** DuckDB's memory limit (default 1GB). */
  readonly memoryLimit?: string;
  /** Snapshot ids in the dataset: inventory id -> dataset id (default: the same). */
  readonly ids?: ReadonlyMap<number, number>;
  /** Called after each file of keys, with the rows written so far and the snapshot's total. */
  readonly progress?: (snapshotId: number, rows: number, total: number) => void;
}

export interface ExportedSnapshot {
  readonly inventoryId: number;
  readonly snapshotId: number;
  readonly label: string | null;
  readonly keys: number;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
}

const DEFAULT_ROWS_PER_FILE = 1_000_000;
const DEFAULT_ROW_GROUP = 122_880;

function createSql(table: ExportTable, name: string): string {
  return `CREATE OR REPLACE TABLE ${sqlName(name)} (${table.columns.map(([c, t]) => `${sqlName(c)} ${t}`).join(', ')})`;
}

/** An appender for one row of SQLite values (safe integers: INTEGER columns arrive as bigint). */
function rowAppender(table: ExportTable): (app: DuckDBAppender, row: unknown[]) => void {
  const kinds = table.columns.map(([, t]) => t);
  return (app, row) => {
    for (let i = 0; i < kinds.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        app.appendNull();
        continue;
      }
      switch (kinds[i]) {
        case 'BIGINT':
          app.appendBigInt(typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
          break;
        case 'DOUBLE':
          app.appendDouble(Number(v));
          break;
        case 'VARCHAR':
          app.appendVarchar(typeof v === 'string' ? v : String(v));
          break;
        case 'BLOB':
          app.appendBlob(v instanceof Uint8Array ? v : Buffer.from(String(v)));
          break;
      }
    }
    app.endRow();
  };
}

/** The SELECT that reads one snapshot row from SQLite. */
function selectSql(db: Db, table: ExportTable): string {
  const have = columnsOf(db, table.name);
  // An inventory made by an earlier version may lack a later column: it exports as NULL.
  const cols = table.columns.map(([c]) => (have.has(c) ? `"${c}"` : `NULL AS "${c}"`)).join(', ');
  return `SELECT ${cols} FROM ${table.name} WHERE id = ?`;
}

function columnsOf(db: Db, table: string): Set<string> {
  return new Set((db.pragma(`table_xinfo(${table})`) as Array<{ name: string }>).map((c) => c.name));
}

function copyOptions(o: ExportOptions): string {
  return `FORMAT parquet, COMPRESSION ${o.compression ?? 'zstd'}, ROW_GROUP_SIZE ${o.rowGroupSize ?? DEFAULT_ROW_GROUP}`;
}

function partName(n: number): string {
  return `part-${String(n).padStart(5, '0')}.parquet`;
}

/**
 * How rows travel from SQLite to DuckDB: SQLite formats a chunk of rows as lines of text in C (integers as they
 * are, doubles with 17 significant digits, which read back exactly, text and bytes as hex after an 'x', so that
 * nothing needs quoting and an empty string is not NULL), the lines go to a spool file, and DuckDB's CSV reader
 * parses the spool into the Parquet file. No value is converted in JavaScript: that would cost more than the
 * indexing did.
 */
function lineSql(db: Db, table: ExportTable): string {
  const have = columnsOf(db, table.source ?? table.name);
  const parts = table.columns.map(([c, t]) => {
    if (table.columns === KEYS_TABLE.columns && c === 'key_text') {
      // key_text is the key's bytes as text when they are UTF-8: only whether it is set travels.
      return have.has(c) ? "CASE WHEN key_text IS NULL THEN '' ELSE '1' END" : "''";
    }
    if (!have.has(c)) return "''";
    const q = `"${c}"`;
    if (t === 'BIGINT') return `COALESCE(${q}, '')`;
    if (t === 'DOUBLE') {
      return `CASE WHEN ${q} IS NULL THEN '' WHEN ${q} > 1.7976931348623157e308 THEN 'inf' ` +
        `WHEN ${q} < -1.7976931348623157e308 THEN '-inf' ELSE printf('%!.17g', ${q}) END`;
    }
    return `CASE WHEN ${q} IS NULL THEN '' ELSE 'x' || hex(${q}) END`;
  });
  return parts.join(" || ',' || ");
}

/** The DuckDB SELECT that turns the spool's text columns c0, c1, ... back into the table's columns. */
function fromSpoolSql(table: ExportTable, spool: string): string {
  const cols = table.columns.map(([c, t], i) => {
    const v = `c${i}`;
    if (table.columns === KEYS_TABLE.columns && c === 'key_text') {
      const key = `c${table.columns.findIndex(([n]) => n === 'key')}`;
      return `CASE WHEN ${v} = '1' THEN TRY(decode(unhex(substr(${key}, 2)))) END AS ${sqlName(c)}`;
    }
    if (t === 'BLOB') return `unhex(substr(${v}, 2)) AS ${sqlName(c)}`;
    if (t === 'VARCHAR') return `TRY(decode(unhex(substr(${v}, 2)))) AS ${sqlName(c)}`;
    return `${v} AS ${sqlName(c)}`;
  });
  const types = table.columns.map(([, t], i) => `'c${i}': '${t === 'BIGINT' || t === 'DOUBLE' ? t : 'VARCHAR'}'`).join(', ');
  return `SELECT ${cols.join(', ')} FROM read_csv(${sqlString(spool)}, header = false, delim = ',', quote = '', escape = '', ` +
    `auto_detect = false, nullstr = '', columns = {${types}})`;
}

const CHUNK_ROWS = 50_000;

/**
 * Streams the rows of one snapshot's `table` into Parquet files in `dir` (created), `rowsPerFile` rows a file
 * (a table with no rows still gets one empty file, so that every table has its schema). Returns rows and files.
 */
async function writeTable(
  duck: DuckDBConnection, db: Db, table: ExportTable, snapshotId: number, dir: string, spoolDir: string,
  o: ExportOptions, onFile?: (rows: number) => void,
): Promise<{ rows: number; files: number }> {
  mkdirSync(dir, { recursive: true });
  const limit = table.split ? (o.rowsPerFile ?? DEFAULT_ROWS_PER_FILE) : Number.MAX_SAFE_INTEGER;
  const order = table.orderBy === 'rowid' ? 'rowid' : `"${table.orderBy}"`;
  const chunk = db.prepare(`SELECT COUNT(*) AS n, MAX(o) AS last, group_concat(line, char(10) ORDER BY o) AS text FROM (
      SELECT ${order} AS o, ${lineSql(db, table)} AS line FROM ${table.source ?? table.name}
      WHERE snapshot_id = ?${table.where ? ` AND (${table.where})` : ''} AND ${order} > ? ORDER BY ${order} LIMIT ?)`);
  const spool = join(spoolDir, `${table.name}.csv`);
  let rows = 0;
  let files = 0;
  let last = -Infinity as number;
  let done = false;
  while (!done) {
    const fd = openSync(spool, 'w');
    let inFile = 0;
    try {
      while (inFile < limit) {
        const c = chunk.get(snapshotId, last, Math.min(CHUNK_ROWS, limit - inFile)) as { n: number; last: number | null; text: string | null };
        if (c.n === 0 || c.last === null || c.text === null) {
          done = true;
          break;
        }
        writeSync(fd, c.text);
        writeSync(fd, '\n');
        last = c.last;
        inFile += c.n;
      }
    } finally {
      closeSync(fd);
    }
    if (inFile === 0 && files > 0) break;
    rows += inFile;
    const target = sqlString(join(dir, partName(files)));
    if (inFile === 0) await duck.run(`COPY (${fromSpoolSql(table, spool)} LIMIT 0) TO ${target} (${copyOptions(o)})`);
    else await duck.run(`COPY (${fromSpoolSql(table, spool)}) TO ${target} (${copyOptions(o)})`);
    files++;
    onFile?.(rows);
  }
  rmSync(spool, { force: true });
  return { rows, files };
}

function duSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? duSize(p) : statSync(p).size;
  }
  return n;
}

/**
 * Exports snapshots `ids` (complete ones) of the inventory `db` (opened read-only) into the dataset at `outDir`
 * (created; snapshots it already holds under the same dataset ids are replaced, others are kept).
 */
export async function exportSnapshots(db: Db, ids: readonly number[], outDir: string, o: ExportOptions = {}): Promise<ExportedSnapshot[]> {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new UserError(`${outDir}: exists and is not a directory`);
  mkdirSync(outDir, { recursive: true });
  const staging = join(outDir, `.rdbscope-staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  // Staging folders of runs that died are removed (their process is gone).
  for (const e of readdirSync(outDir)) {
    const m = /^\.rdbscope-staging-(\d+)$/.exec(e);
    if (m && !processAlive(Number(m[1]))) rmSync(join(outDir, e), { recursive: true, force: true });
  }
  const duck = await openDuck({ memoryLimit: o.memoryLimit });
  const done: ExportedSnapshot[] = [];
  try {
    mkdirSync(staging, { recursive: true });
    await duck.conn.run(createSql(SNAPSHOTS_TABLE, 'new_snapshots'));
    const snapSelect = db.prepare(selectSql(db, SNAPSHOTS_TABLE)).raw(true).safeIntegers(true);
    const appendSnap = rowAppender(SNAPSHOTS_TABLE);
    for (const inv of ids) {
      const t0 = process.hrtime.bigint();
      const row = snapSelect.get(BigInt(inv)) as unknown[] | undefined;
      if (!row) throw new UserError(`no snapshot ${inv} in the inventory`);
      const status = String(row[SNAPSHOTS_TABLE.columns.findIndex(([c]) => c === 'status')]);
      if (status !== 'complete') throw new UserError(`snapshot ${inv} is ${status}, not complete`);
      const sid = o.ids?.get(inv) ?? inv;
      const total = Number(row[SNAPSHOTS_TABLE.columns.findIndex(([c]) => c === 'key_count')] ?? 0);
      let keys = 0;
      let files = 0;
      for (const t of PARTITIONED_TABLES) {
        const dir = join(staging, t.name, `snapshot_id=${sid}`);
        const r = await writeTable(duck.conn, db, t, inv, dir, staging, o, t === KEYS_TABLE ? (n) => o.progress?.(sid, n, total) : undefined);
        if (t === KEYS_TABLE) keys = r.rows;
        files += r.files;
      }
      const app = await duck.conn.createAppender('new_snapshots');
      appendSnap(app, [BigInt(sid), ...row.slice(1)]);
      app.closeSync();
      const label = row[1] === null ? null : String(row[1]);
      done.push({
        inventoryId: inv, snapshotId: sid, label, keys, files, bytes: 0,
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      });
    }
    // The snapshots of the dataset: those it had (but the ones replaced) and the new ones, by id.
    const file = join(outDir, 'snapshots.parquet');
    const newIds = done.map((d) => d.snapshotId).join(', ') || 'NULL';
    const old = existsSync(file)
      ? `SELECT * FROM read_parquet(${sqlString(file)}) WHERE id NOT IN (${newIds}) UNION ALL BY NAME `
      : '';
    const staged = join(staging, 'snapshots.parquet');
    await duck.conn.run(`COPY (SELECT * FROM (${old}SELECT * FROM new_snapshots) ORDER BY id) TO ${sqlString(staged)} (${copyOptions(o)})`);
    // Into place: each snapshot's partitions, then snapshots.parquet (the rename that completes the export).
    for (const d of done) {
      for (const t of PARTITIONED_TABLES) {
        const target = join(outDir, t.name, `snapshot_id=${d.snapshotId}`);
        rmSync(target, { recursive: true, force: true });
        mkdirSync(join(outDir, t.name), { recursive: true });
        renameSync(join(staging, t.name, `snapshot_id=${d.snapshotId}`), target);
      }
    }
    // A copy in a folder of its own, for engines that read a table from a folder (Trino's Hive connector).
    const copyDir = join(outDir, 'snapshots');
    mkdirSync(copyDir, { recursive: true });
    const copyTmp = join(copyDir, `.part-${process.pid}.parquet`);
    copyFileSync(staged, copyTmp);
    renameSync(copyTmp, join(copyDir, 'part-00000.parquet'));
    renameSync(staged, file);
    return done.map((d) => ({ ...d, bytes: duSize(join(outDir, KEYS_TABLE.name, `snapshot_id=${d.snapshotId}`)) }));
  } finally {
    duck.close();
    rmSync(staging, { recursive: true, force: true });
  }
}

