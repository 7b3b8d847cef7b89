/** `rdbscope index DUMP...`: every key of one or more dumps as a row of an SQLite inventory. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { humanBytes } from '../inventory/progress.js';
import { indexDumps, type IndexResult } from '../inventory/run.js';
import type { AllocatorName } from '../memory/index.js';
import { allocatorOption } from './options.js';
import { calibrationLine, fetchFactsCalibrated, saveFacts } from '../facts/index.js';
import { liveInputOptions, liveSpec, type LiveArgs } from './live-input.js';
import { DEFAULT_SAMPLE } from '../shapes/sampler.js';
import { indexToParquet, type ParquetIndexResult } from '../export/index-parquet.js';
import type { Compression } from '../export/parquet.js';
import { checkExportNumbers, exportProgress, parquetOptions } from './export.js';

interface Args extends LiveArgs {
  dumps?: string[];
  out: string;
  label?: string;
  force: boolean;
  quiet: boolean;
  pattern: string[];
  'memory-model'?: string;
  allocator: AllocatorName;
  cluster?: boolean;
  checksum: boolean;
  format: 'text' | 'json' | 'parquet';
  parallel?: number;
  calibrate?: number;
  'values-sample': number | boolean;
  'values-sample-bytes': number;
  compression: Compression;
  'rows-per-file': number;
  'row-group-size': number;
  'memory-limit': string;
}

function textLine(r: IndexResult): string {
  if (r.status !== 'complete') return r.error ?? `${r.source}: ${r.status}`;
  const rate = r.seconds > 0 ? Math.round(r.keys / r.seconds).toLocaleString('en-US') : '-';
  return `${r.source}: snapshot ${r.snapshotId}, ${r.keys.toLocaleString('en-US')} keys, ` +
    `memory ${humanBytes(r.memory)}, ${r.seconds.toFixed(2)} s (${rate} keys/s)` +
    ('exported' in r && r.exported ? `; Parquet: ${humanBytes((r as ParquetIndexResult).exported!.bytes)} of keys, ${(r as ParquetIndexResult).exported!.seconds.toFixed(2)} s` : '');
}

export const indexCommand: CommandModule<object, Args> = {
  command: 'index [dumps..]',
  describe: 'Load every key of RDB dumps into an SQLite inventory (one snapshot per dump)',
  builder: (y: Argv): Argv<Args> =>
    y
      .positional('dumps', { type: 'string', array: true, describe: "RDB files ('-' for stdin; .gz read as is), or --url" })
      .options(liveInputOptions)
      .option('calibrate', { type: 'number', describe: 'With --url: compare the memory model with MEMORY USAGE of this many keys of the snapshot on the server (read-only); the report says how well it matched' })
      .option('out', { alias: 'o', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file (created when missing); with --format parquet, the dataset folder' })
      .option('label', { type: 'string', describe: "Snapshot label (default: the dump's file name)" })
      .option('force', { type: 'boolean', default: false, describe: 'Index a dump again even if the same file content is already in the inventory' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress line on stderr' })
      .option('pattern', { type: 'string', array: true, default: [] as string[], describe: 'A key pattern of yours for pattern inference (repeatable)' })
      .option('memory-model', { type: 'string', describe: 'Memory model for keys.memory (default: from the writer version)' })
      .options(allocatorOption)
      .option('checksum', { type: 'boolean', default: true, describe: 'Verify the CRC64 (--no-checksum to skip)' })
      .option('format', { type: 'string', choices: ['text', 'json', 'parquet'] as const, default: 'text' as const, describe: "Summary on stdout (text, json); 'parquet': write a Parquet dataset to --out instead of an SQLite inventory (see rdbscope export)" })
      .options(parquetOptions)
      .option('parallel', { alias: ['j', 'jobs'], type: 'number', describe: 'Dumps decoded at the same time, each on its own thread (default: 2, or the number of cores when that is fewer)' })
      .option('values-sample', { type: 'number', default: DEFAULT_SAMPLE.perFamily, describe: 'Keys whose values are sampled per key family for `rdbscope shape` (--no-values-sample: none)' })
      .option('values-sample-bytes', { type: 'number', default: DEFAULT_SAMPLE.valueBytes, describe: "Bytes kept of a sampled key's value (a collection's sampled elements share them)" })
      .example('$0 index dump.rdb --out inv.sqlite', 'index one dump')
      .example('$0 index dump.rdb --values-sample 200', 'a smaller value sample (200 keys a family)')
      .example('$0 index node-*.rdb --label prod -o inv.sqlite', "a cluster's shard dumps, two at a time")
      .example('$0 index node-*.rdb --format parquet --out pq/ --jobs 4', 'the shards straight to a Parquet dataset (pq/keys/snapshot_id=N/...), four at a time')
      .example('REDISCLI_AUTH=secret $0 index --url redis://replica-1:6379 -o inv.sqlite', 'a running replica: its snapshot over replication and its INFO, MEMORY STATS and CONFIG in server_facts') as unknown as Argv<Args>,
  handler: async (a: Args): Promise<void> => {
    const dumps = (a.dumps ?? []).map(String);
    // yargs drops a lone '-' from a variadic positional: take stdin back from the command line
    if (!dumps.includes('-') && process.argv.slice(2).includes('-')) dumps.push('-');
    const live = liveSpec(a, dumps.length > 0, false);
    if (a.calibrate !== undefined && (!live || !(Number.isInteger(a.calibrate) && a.calibrate >= 1 && a.calibrate <= 100_000))) {
      throw new UserError(live ? `--calibrate: expected a number of keys from 1 to 100000, got ${a.calibrate}` : '--calibrate goes with --url');
    }
    if (live) dumps.push(live.target.source);
    else if (dumps.length === 0) throw new UserError("name the dumps to index ('-' for stdin), or a server with --url");
    if (a.parallel !== undefined && !(Number.isInteger(a.parallel) && a.parallel >= 1 && a.parallel <= 256)) {
      throw new UserError(`--parallel: expected a whole number from 1 to 256, got ${a.parallel}`);
    }
    const vs = a['values-sample'];
    const vb = a['values-sample-bytes'];
    if (vs !== false && !(typeof vs === 'number' && Number.isInteger(vs) && vs >= 0)) {
      throw new UserError(`--values-sample: expected a whole number of keys a family (0 or --no-values-sample: none), got ${String(vs)}`);
    }
    if (!(Number.isInteger(vb) && vb >= 16 && vb <= 16 * 1024 * 1024)) {
      throw new UserError(`--values-sample-bytes: expected a whole number from 16 to 16777216, got ${vb}`);
    }
    const valuesSample = vs === false || vs === 0 ? null : { ...DEFAULT_SAMPLE, perFamily: vs as number, valueBytes: vb };
    const opts = {
      label: a.label, force: a.force, quiet: a.quiet, patterns: a.pattern.map(String),
      memoryModel: a['memory-model'] ?? null, allocator: a.allocator, cluster: a.cluster, checksum: a.checksum,
      parallel: a.parallel, valuesSample,
    };
    let results: IndexResult[];
    if (a.format === 'parquet') {
      if (live) throw new UserError('--url goes with an SQLite inventory: index the server into one, then rdbscope export it to Parquet');
      checkExportNumbers(a['rows-per-file'], a['row-group-size']);
      results = await indexToParquet(dumps, a.out, opts, {
        compression: a.compression, rowsPerFile: a['rows-per-file'], rowGroupSize: a['row-group-size'],
        memoryLimit: a['memory-limit'], progress: exportProgress(a.quiet),
      });
    } else results = await indexDumps(dumps, { ...opts, out: a.out, live: live ?? undefined });
    // The server's own facts, read right after its snapshot, stored with it (a failure to read them is a warning).
    const done = results[0];
    if (live && done?.status === 'complete' && done.snapshotId !== null) {
      try {
        const got = await fetchFactsCalibrated(live.target, a.out, done.snapshotId, a.calibrate ?? 0);
        await saveFacts(a.out, done.snapshotId, live.target.source, got.facts);
        if (got.calibration) process.stderr.write(`rdbscope: ${calibrationLine(got.calibration)}\n`);
      } catch (e) {
        process.stderr.write(`rdbscope: ${live.target.source}: the server's facts were not recorded: ${(e as Error).message.split('\n')[0]}\n`);
      }
    }
    // What was indexed goes to stdout; what was not, to stderr as errors (prefixed, like every error).
    if (a.format === 'json') process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    else if (!a.quiet) for (const r of results) if (r.status === 'complete') process.stdout.write(textLine(r) + '\n');
    const bad = results.filter((r) => r.status !== 'complete');
    if (bad.length === 1 && results.length === 1) throw new UserError(bad[0]!.error ?? 'failed', bad[0]!.status === 'refused' ? 3 : 1);
    if (bad.length > 0) {
      for (const r of bad) process.stderr.write(`rdbscope: ${textLine(r)}\n`);
      throw new UserError(`${bad.length} of ${results.length} dumps were not indexed`, 1);
    }
  },
};
