/** `rdbscope trend`: monthly growth per key pattern across all snapshots of one source. */
import type { Argv, CommandModule } from 'yargs';
import { openForRead } from '../inventory/db.js';
import type { Format } from '../inventory/format.js';
import { UserError } from '../errors.js';
import { computeTrend, groupSnapshots, renderTrend, type GroupBy } from '../report/trend.js';

const FORMATS = ['table', 'json', 'csv'] as const;

interface Args {
  in: string;
  source?: string;
  'group-by': GroupBy;
  threshold: number;
  format: (typeof FORMATS)[number];
}

export const trendCommand: CommandModule<object, Args> = {
  command: 'trend',
  describe: 'Monthly memory growth per key pattern across the snapshots of a source; flags fast growers',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('source', { alias: 's', type: 'string', describe: 'Only the snapshots with this label or source path (default: every group)' })
      .option('group-by', { choices: ['label', 'source'] as const, default: 'label' as const, describe: 'Which snapshots form one series' })
      .option('threshold', { type: 'number', default: 0.1, describe: 'Flag patterns growing faster than this fraction a month' })
      .option('format', { alias: 'f', choices: FORMATS, default: 'table' as const, describe: 'table, csv (one row per group and pattern) or json' })
      .example('$0 trend -i inv.sqlite --source prod', 'the series of snapshots indexed with --label prod')
      .example('$0 trend -i inv.sqlite --threshold 0.05 -f csv', 'every label, flag over 5 % a month, as CSV')
      .epilog('Growth is simple monthly growth of memory between the first and the last snapshot (dump ctime).') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    if (!Number.isFinite(a.threshold)) throw new UserError(`--threshold takes a fraction such as 0.1, got ${String(a.threshold)}`);
    const db = openForRead(a.in);
    try {
      const groups = groupSnapshots(db, a['group-by'], a.source);
      if (groups.size === 0) {
        throw new UserError(`${a.in}: no complete snapshot${a.source !== undefined ? ` with label or source '${a.source}'` : ''}`);
      }
      const trends = [...groups].map(([g, snaps]) => computeTrend(db, g, snaps, a.threshold));
      renderTrend(trends, a.threshold, a.format as Format, (s) => process.stdout.write(s));
    } finally {
      db.close();
    }
  },
};
