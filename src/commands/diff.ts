/** `rdbscope diff`: what changed between two snapshots of an inventory, per key pattern. */
import type { Argv, CommandModule } from 'yargs';
import { openForRead } from '../inventory/db.js';
import type { Format } from '../inventory/format.js';
import { UserError } from '../errors.js';
import { computeDiff, renderDiff } from '../report/diff.js';
import { completeSnapshots, resolveSnapshot } from '../report/history-load.js';

const FORMATS = ['table', 'json', 'csv'] as const;

interface Args {
  in: string;
  from?: string;
  to?: string;
  format: (typeof FORMATS)[number];
}

export const diffCommand: CommandModule<object, Args> = {
  command: 'diff',
  describe: 'Compare two snapshots per key pattern: keys and memory, new and gone keys, TTL changes, growth a month',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('from', { type: 'string', describe: 'Older snapshot, by label or id (default: the second most recent complete one)' })
      .option('to', { type: 'string', describe: 'Newer snapshot, by label or id (default: the most recent complete one)' })
      .option('format', { alias: 'f', choices: FORMATS, default: 'table' as const,
        describe: 'table for people; csv one row per pattern; json the whole comparison' })
      .example('$0 diff -i inv.sqlite', 'the two most recent snapshots')
      .example('$0 diff -i inv.sqlite --from monday --to friday -f json', 'two labelled snapshots, as JSON')
      .epilog('Keys are matched on (db, key bytes). Growth is simple monthly growth of memory from the dumps\' ctime.') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    const db = openForRead(a.in);
    try {
      const all = completeSnapshots(db);
      if (all.length < 2 && (a.from === undefined || a.to === undefined)) {
        throw new UserError(`${a.in}: diff needs two complete snapshots, the inventory has ${all.length}`);
      }
      const to = a.to !== undefined ? resolveSnapshot(all, a.to, a.in) : all[all.length - 1]!;
      // Default --from: the snapshot just before --to (or the most recent other one when --to is the oldest).
      const before = all.slice(0, all.findIndex((s) => s.id === to.id));
      const from = a.from !== undefined ? resolveSnapshot(all, a.from, a.in)
        : (before.at(-1) ?? all.filter((s) => s.id !== to.id).at(-1)!);
      if (from.id === to.id) throw new UserError(`${a.in}: --from and --to name the same snapshot (#${from.id})`);
      renderDiff(computeDiff(db, from, to), a.format as Format, (s) => process.stdout.write(s));
    } finally {
      db.close();
    }
  },
};
