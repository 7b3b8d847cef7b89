import type { CommandModule } from 'yargs';
import { RdbError } from '../decode/index.js';
import { decodeInput, liveInputOptions, type LiveArgs } from './live-input.js';
import { tee } from '../decode/tee.js';
import { UserError } from '../errors.js';
import { DumpWriter } from '../output/dump.js';
import { dumpInputOptions, estimatorFor, parseDb, MEMORY_MODELS } from './options.js';
import type { AllocatorName } from '../memory/index.js';

const TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module'] as const;

interface DumpArgs extends LiveArgs {
  file?: string;
  format: 'jsonl' | 'csv';
  values: boolean;
  db?: number;
  type?: (typeof TYPES)[number];
  match?: string;
  checksum: boolean;
  'memory-model': (typeof MEMORY_MODELS)[number];
  allocator: AllocatorName;
  cluster?: boolean;
}

export const dumpCommand: CommandModule<object, DumpArgs> = {
  command: 'dump [file]',
  describe: 'One record per key, in file order (JSON lines or CSV)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'RDB file, .rdb.gz, AOF with an RDB preamble, or - for stdin (or --url)' })
      .options(liveInputOptions)
      .option('format', { choices: ['jsonl', 'csv'] as const, default: 'jsonl' as const, describe: 'Output format' })
      .option('values', { type: 'boolean', default: false, describe: 'Include each key\'s value (binary-safe: base64 where not UTF-8)' })
      .option('db', { type: 'number', describe: 'Only keys of this database' })
      .option('type', { choices: TYPES, describe: 'Only keys of this type' })
      .option('match', { type: 'string', describe: 'Only keys matching this Redis-style glob' })
      .options(dumpInputOptions)
      .example('$0 dump dump.rdb --format csv > keys.csv', 'Every key with its type, encoding, size and TTL')
      .example('aws s3 cp s3://bk/dump.rdb.gz - | $0 dump - --match "session:*" --values', 'Values of matching keys, streamed')
      .example('$0 dump --url redis://replica-1:6379 --format csv > keys.csv', 'Every key of a running replica, pulled over replication') as never,
  handler: (argv) => {
    const estimator = estimatorFor(argv['memory-model'], argv.allocator, argv.cluster);
    const writer = new DumpWriter({
      format: argv.format,
      values: argv.values,
      filter: { db: parseDb(argv.db), type: argv.type, match: argv.match },
      memoryOf: () => estimator.lastKeyBytes,
    });
    try {
      const summary = decodeInput(argv, tee(estimator, writer), { values: argv.values, checksum: argv.checksum });
      writer.sink.flush();
      process.stderr.write(
        `rdbscope: ${summary.keys} keys decoded, ${writer.written} written, ${summary.bytes} bytes, checksum ${summary.checksum}, memory model ${estimator.model} (${estimator.allocator} jemalloc${estimator.verified ? '' : ', unverified'})\n`,
      );
    } catch (e) {
      writer.sink.flush();
      if (e instanceof RdbError) throw new UserError(`${e.message} (output above is incomplete: ${writer.written} keys written)`, 1);
      throw e;
    }
  },
};
