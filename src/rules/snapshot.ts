/**
 * Read-only access to an inventory for the commands that read it (recommend, report): open the file and pick the
 * snapshot the user named (by id or label), or the newest complete one.
 */
import { UserError } from '../errors.js';
import { closeAfterWrite, openForRead, openForWrite, type Db } from '../inventory/db.js';
import { summarizeOlderSnapshots } from '../inventory/writer.js';

export type { Db };

export interface SnapshotRow {
  readonly id: number;
  readonly label: string | null;
  readonly source: string;
  readonly file_size: number | null;
  readonly magic: string | null;
  readonly rdb_version: number | null;
  readonly writer: string | null;
  readonly ctime: number | null;
  readonly used_mem: number | null;
  readonly memory_model: string | null;
  readonly status: string;
  readonly key_count: number | null;
  readonly memory_total: number | null;
  readonly checksum: string | null;
}

/**
 * Opens an inventory read-only; a missing or foreign file is a one-line {@link UserError}. `summaries`: first
 * compute the summaries (key_groups, top_keys) of snapshots indexed by an earlier version, which the report and
 * the built-in rules read (once per snapshot, with a note on stderr).
 */
export function openInventory(path: string, opts: { summaries?: boolean } = {}): Db {
  if (opts.summaries) {
    const ro = openForRead(path);
    let missing: boolean;
    try {
      const cols = (ro.pragma('table_info(snapshots)') as Array<{ name: string }>).map((c) => c.name);
      missing = !cols.includes('summarized') ||
        ro.prepare("SELECT 1 FROM snapshots WHERE status = 'complete' AND summarized IS NOT 1 LIMIT 1").get() !== undefined;
    } finally {
      ro.close();
    }
    if (missing) {
      process.stderr.write(`rdbscope: ${path}: summarizing snapshots indexed by an earlier version (once)...\n`);
      const w = openForWrite(path);
      try {
        summarizeOlderSnapshots(w);
      } finally {
        closeAfterWrite(w);
      }
    }
  }
  const db = openForRead(path);
  db.pragma('query_only = ON');
  return db;
}

/**
 * The snapshot named by `sel` (an id, or a label: the newest snapshot with that label), or the newest complete
 * snapshot when `sel` is undefined. Only complete snapshots qualify.
 */
export function resolveSnapshot(db: Db, path: string, sel?: string | number): SnapshotRow {
  const cols = 'id, label, source, file_size, magic, rdb_version, writer, ctime, used_mem, memory_model, status, key_count, memory_total, checksum';
  let row: SnapshotRow | undefined;
  if (sel === undefined || sel === '') {
    row = db.prepare(`SELECT ${cols} FROM snapshots WHERE status = 'complete' ORDER BY id DESC LIMIT 1`).get() as SnapshotRow | undefined;
    if (!row) throw new UserError(`${path}: the inventory holds no complete snapshot`);
    return row;
  }
  const s = String(sel);
  if (/^\d+$/.test(s)) {
    row = db.prepare(`SELECT ${cols} FROM snapshots WHERE id = ?`).get(Number(s)) as SnapshotRow | undefined;
  }
  row ??= db.prepare(`SELECT ${cols} FROM snapshots WHERE label = ? ORDER BY id DESC LIMIT 1`).get(s) as SnapshotRow | undefined;
  if (!row) {
    const known = db.prepare("SELECT id, label FROM snapshots WHERE status = 'complete' ORDER BY id").all() as Array<{ id: number; label: string | null }>;
    const list = known.map((k) => (k.label ? `${k.id} (${k.label})` : String(k.id))).join(', ') || 'none';
    throw new UserError(`${path}: no snapshot with id or label '${s}' (complete snapshots: ${list})`);
  }
  if (row.status !== 'complete') {
    throw new UserError(`${path}: snapshot ${row.id} is ${row.status}, not complete; re-run rdbscope index`);
  }
  return row;
}
