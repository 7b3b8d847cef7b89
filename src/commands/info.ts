import type { CommandModule } from 'yargs';
import { RdbError } from '../decode/index.js';
import { decodeInput, inputName, liveInputOptions, type LiveArgs } from './live-input.js';
import { tee } from '../decode/tee.js';
import { UserError } from '../errors.js';
import { fetchFacts, viewOfFacts, type ServerView } from '../facts/index.js';
import { serverLines } from '../facts/text.js';
import { parseLiveUrl } from '../live/index.js';
import { InfoCollector } from '../output/info.js';
import { dumpInputOptions, estimatorFor, MEMORY_MODELS } from './options.js';
import type { AllocatorName } from '../memory/index.js';

interface InfoArgs extends LiveArgs {
  file?: string;
  format: 'text' | 'json';
  checksum: boolean;
  'memory-model': (typeof MEMORY_MODELS)[number];
  allocator: AllocatorName;
  cluster?: boolean;
}

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info [file]',
  describe: 'A summary of a dump: version, aux fields, functions, modules, keys per db, checksum, memory',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'RDB file, .rdb.gz, AOF with an RDB preamble, or - for stdin (or --url)' })
      .options(liveInputOptions)
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const })
      .options(dumpInputOptions)
      .example('$0 info dump.rdb', 'One screen about the dump')
      .example('$0 info dump.rdb --format json | jq .dbs', 'Machine-readable')
      .example('REDISCLI_AUTH=secret $0 info --url redis://replica-1:6379', 'A running replica: its snapshot pulled over replication (point it at a replica)') as never,
  handler: async (argv) => {
    const estimator = estimatorFor(argv['memory-model'], argv.allocator, argv.cluster);
    const collector = new InfoCollector(() => estimator.lastKeyBytes);
    try {
      decodeInput(argv, tee(estimator, collector), { checksum: argv.checksum });
    } catch (e) {
      if (e instanceof RdbError) throw new UserError(e.message, 1);
      throw e;
    }
    // A live server: its own figures too, read right after the snapshot.
    let server: ServerView | null = null;
    if (argv.url !== undefined) {
      const target = parseLiveUrl({ url: argv.url, cacert: argv.cacert });
      try {
        server = viewOfFacts(await fetchFacts(target), target.source);
      } catch (e) {
        process.stderr.write(`rdbscope: ${target.source}: the server's facts were not read: ${(e as Error).message.split('\n')[0]}\n`);
      }
    }
    const info = collector.info;
    const totals = estimator.totals();
    if (argv.format === 'json') {
      process.stdout.write(`${JSON.stringify({ file: inputName(argv), ...info, memory: totals, ...(server ? { server } : {}) }, null, 2)}\n`);
      return;
    }
    const s = info.summary!;
    const lines = [
      `file        ${inputName(argv)}`,
      `format      ${s.magic} RDB ${s.version}, ${s.bytes} bytes, checksum ${s.checksum}${s.storedChecksum ? ` (${s.storedChecksum})` : ''}`,
      `keys        ${s.keys}  (${Object.entries(info.types).map(([t, n]) => `${t} ${n}`).join(', ') || 'none'})`,
      ...info.dbs.map((d) => `  db ${String(d.db).padEnd(3)} ${String(d.keys).padStart(10)} keys, ${String(d.expires).padStart(9)} with TTL, ~${mib(d.memory)}`),
      `memory      ${mib(totals.datasetBytes)} in keys (model ${totals.model}, ${totals.allocator} jemalloc${totals.cluster ? ', cluster node' : ''}${totals.verified ? ', checked against real servers of that line' : ', not checked against a server of that version'})`,
      `            + ${mib(totals.mainDictBytes)} main dict buckets, ${mib(totals.expiresDictBytes)} expires dict`,
      totals.usedMem !== null
        ? `            used-mem ${mib(totals.usedMem)} when saved; ${mib(totals.unexplained ?? 0)} not explained by keys (allocator fragmentation, buffers, scripts: not visible offline)`
        : '            the dump records no used-mem',
      ...(server ? serverLines(server) : []),
      'aux',
      ...Object.entries(info.aux).map(([k, v]) => `  ${k.padEnd(16)} ${v}`),
    ];
    if (info.functions.length) lines.push('functions', ...info.functions.map((f) => `  ${f.name ?? '?'} (${f.engine ?? '?'}, ${f.bytes} bytes)`));
    if (info.moduleAux.length || Object.keys(info.modules).length) {
      lines.push('modules', ...info.moduleAux.map((m) => `  ${m.module} v${m.moduleVersion}: aux data ${m.bytes} bytes`));
      lines.push(...Object.entries(info.modules).map(([m, n]) => `  ${m}: ${n} keys`));
    }
    if (info.slots) lines.push(`cluster     slot info for ${info.slots} slots`);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
