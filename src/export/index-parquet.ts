/**
 * `rdbscope index DUMP... --format parquet --out DIR`: dumps straight to a Parquet dataset. Each dump is indexed
 * into a temporary inventory beside the dataset (a dot-file in DIR, which dataset globs skip; the indexer's
 * bounded-memory load, its --parallel lanes and its summaries as they are), its complete snapshots are exported
 * (export.ts: one Parquet file of rows at a time), and the temporary inventory is removed, also when the run fails
 * or is interrupted. Snapshot ids continue after the highest one the dataset already holds, and a dump whose
 * content (sha256) the dataset already has is left out unless --force.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { openForRead, processAlive } from '../inventory/db.js';
import { indexDumps, type IndexOptions, type IndexResult } from '../inventory/run.js';
import { openDuck, sqlString } from './duck.js';
import { exportSnapshots, type ExportedSnapshot, type ExportOptions } from './parquet.js';

export interface ParquetIndexResult extends IndexResult {
  /** The snapshot's id in the dataset (snapshotId is the same; null when not exported). */
  readonly exported: ExportedSnapshot | null;
}

async function datasetSnapshots(dir: string): Promise<Array<{ id: number; sha256: string | null }>> {
  const file = join(dir, 'snapshots.parquet');
  if (!existsSync(file)) return [];
  const d = await openDuck({ memoryLimit: '256MB', threads: 1 });
  try {
    const r = await d.conn.runAndReadAll(`SELECT id, sha256 FROM read_parquet(${sqlString(file)}) ORDER BY id`);
    return r.getRows().map((row) => ({ id: Number(row[0]), sha256: row[1] === null ? null : String(row[1]) }));
  } finally {
    d.close();
  }
}

export async function indexToParquet(
  dumps: string[], dir: string, opts: Omit<IndexOptions, 'out'>, o: ExportOptions = {},
): Promise<ParquetIndexResult[]> {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${dir}: exists and is not a directory (--format parquet writes a dataset folder)`);
  mkdirSync(dir, { recursive: true });
  const existing = await datasetSnapshots(dir);
  const tmp = join(dir, `.rdbscope-index-${process.pid}.sqlite`);
  const cleanup = (): void => {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}.lock`]) rmSync(f, { force: true });
  };
  const onExit = (): void => cleanup();
  process.once('exit', onExit); // index's own SIGINT/SIGTERM handlers exit the process: the file goes with it
  try {
    cleanup();
    // Temporary inventories of runs that died are removed (their process is gone).
    for (const e of readdirSync(dir)) {
      const m = /^\.rdbscope-index-(\d+)\.sqlite/.exec(e);
      if (m && !processAlive(Number(m[1]))) rmSync(join(dir, e), { force: true });
    }
    const results = await indexDumps(dumps, { ...opts, out: tmp });
    const db = openForRead(tmp);
    try {
      let next = existing.reduce((m, s) => Math.max(m, s.id), 0) + 1;
      const ids = new Map<number, number>();
      const out: ParquetIndexResult[] = [];
      for (const r of results) {
        if (r.status !== 'complete' || r.snapshotId === null) {
          out.push({ ...r, snapshotId: null, exported: null });
          continue;
        }
        const sha = db.prepare('SELECT sha256 FROM snapshots WHERE id = ?').pluck().get(r.snapshotId) as string | null;
        const dup = sha ? existing.find((s) => s.sha256 === sha) : undefined;
        if (dup && !opts.force) {
          out.push({ ...r, snapshotId: null, status: 'refused', exported: null,
            error: `${r.source}: already in ${dir} as snapshot ${dup.id} (same sha256); --force to add it again` });
          continue;
        }
        ids.set(r.snapshotId, next++);
        out.push({ ...r, exported: null });
      }
      const exported = ids.size > 0 ? await exportSnapshots(db, [...ids.keys()], dir, { ...o, ids }) : [];
      return out.map((r) => {
        if (r.snapshotId === null || !ids.has(r.snapshotId)) return r;
        const e = exported.find((x) => x.inventoryId === r.snapshotId) ?? null;
        return { ...r, snapshotId: ids.get(r.snapshotId)!, exported: e };
      });
    } finally {
      db.close();
    }
  } finally {
    process.off('exit', onExit);
    cleanup();
  }
}
