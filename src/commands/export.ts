/** `rdbscope export`: snapshots of an SQLite inventory as a Parquet dataset for DuckDB, Spark or Trino. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { humanBytes } from '../inventory/progress.js';
import { COMPRESSIONS, exportSnapshots, type Compression, type ExportedSnapshot } from '../export/parquet.js';
import { openInventory, resolveSnapshot } from '../rules/snapshot.js';

interface Args {
  in: string;
  snapshot: string[];
  all: boolean;
  out: string;
  compression: Compression;
  'rows-per-file': number;
  'row-group-size': number;
  'memory-limit': string;
  format: 'text' | 'json';
  quiet: boolean;
}

export function exportedLine(r: ExportedSnapshot, dir: string): string {
  const rate = r.seconds > 0 ? Math.round(r.keys / r.seconds).toLocaleString('en-US') : '-';
  return `${dir}: snapshot ${r.snapshotId}${r.label ? ` (${r.label})` : ''}, ${r.keys.toLocaleString('en-US')} keys in ` +
    `${r.files} files, keys ${humanBytes(r.bytes)}, ${r.seconds.toFixed(2)} s (${rate} keys/s)`;
}

/** A progress callback drawing one line on stderr when it is a terminal. */
export function exportProgress(quiet: boolean): ((id: number, rows: number, total: number) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  return (id, rows, total) => {
    const pct = total > 0 ? ` (${Math.floor((rows * 100) / total)} %)` : '';
    process.stderr.write(`\rexport: snapshot ${id}: ${rows.toLocaleString('en-US')} keys${pct}\x1b[K`);
    if (rows >= total) process.stderr.write('\r\x1b[K');
  };
}

export function checkExportNumbers(rowsPerFile: number, rowGroup: number): void {
  if (!Number.isInteger(rowsPerFile) || rowsPerFile < 1000) throw new UserError(`--rows-per-file: expected a whole number of at least 1000, got ${rowsPerFile}`);
  if (!Number.isInteger(rowGroup) || rowGroup < 1000) throw new UserError(`--row-group-size: expected a whole number of at least 1000, got ${rowGroup}`);
}

export const parquetOptions = {
  compression: { type: 'string', choices: COMPRESSIONS, default: 'zstd' as Compression, describe: 'Parquet compression' },
  'rows-per-file': { type: 'number', default: 1_000_000, describe: 'Rows a Parquet file of keys holds at most (what is held in memory at a time)' },
  'row-group-size': { type: 'number', default: 122_880, describe: 'Rows a Parquet row group holds' },
  'memory-limit': { type: 'string', default: '1GB', describe: "DuckDB's memory limit while writing (it spills to a temporary folder past it)" },
} as const;

export const exportCommand: CommandModule<object, Args> = {
  command: 'export',
  describe: 'Write snapshots of an inventory as a Parquet dataset (keys hive-partitioned by snapshot) for DuckDB, Spark or Trino',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('snapshot', { alias: 's', type: 'string', array: true, default: [] as string[], describe: 'Snapshot id or label (repeatable; default: the newest complete one)' })
      .option('all', { type: 'boolean', default: false, describe: 'Every complete snapshot of the inventory' })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'Dataset folder (created; snapshots already in it with other ids are kept)' })
      .options(parquetOptions)
      .option('format', { type: 'string', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Summary on stdout' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress line on stderr' })
      .example('$0 export --in inv.sqlite --out inv-parquet', 'the newest snapshot as DIR/keys/snapshot_id=N/*.parquet, DIR/snapshots.parquet, ...')
      .example('$0 export --in inv.sqlite --all --out s3-staging/ && duckdb -c "SELECT type, sum(memory) FROM \'s3-staging/keys/*/*.parquet\' GROUP BY 1"', 'every snapshot, then a query in DuckDB') as unknown as Argv<Args>,
  handler: async (a: Args): Promise<void> => {
    checkExportNumbers(a['rows-per-file'], a['row-group-size']);
    const db = openInventory(a.in, { summaries: true });
    try {
      let ids: number[];
      if (a.all) {
        ids = (db.prepare("SELECT id FROM snapshots WHERE status = 'complete' ORDER BY id").all() as Array<{ id: number }>).map((r) => r.id);
        if (ids.length === 0) throw new UserError(`${a.in}: the inventory holds no complete snapshot`);
      } else if (a.snapshot.length === 0) ids = [resolveSnapshot(db, a.in).id];
      else ids = [...new Set(a.snapshot.map((s) => resolveSnapshot(db, a.in, String(s)).id))];
      const results = await exportSnapshots(db, ids, a.out, {
        compression: a.compression, rowsPerFile: a['rows-per-file'], rowGroupSize: a['row-group-size'],
        memoryLimit: a['memory-limit'], progress: exportProgress(a.quiet),
      });
      if (a.format === 'json') process.stdout.write(JSON.stringify({ out: a.out, snapshots: results }, null, 2) + '\n');
      else if (!a.quiet) for (const r of results) process.stdout.write(exportedLine(r, a.out) + '\n');
    } finally {
      db.close();
    }
  },
};
