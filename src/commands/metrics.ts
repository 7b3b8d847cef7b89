/** `rdbscope metrics`: an inventory's figures as Prometheus text exposition (for node_exporter's textfile collector). */
import type { Argv, CommandModule } from 'yargs';
import { openForRead } from '../inventory/db.js';
import { renderMetrics } from '../report/metrics.js';
import { checkOutput, writeFileAtomic } from '../output/files.js';

interface Args {
  in: string;
  out?: string;
  force: boolean;
}

export const metricsCommand: CommandModule<object, Args> = {
  command: 'metrics',
  describe: 'Prometheus text exposition of every complete snapshot: keys, memory, TTL share, expired bytes, growth',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('out', { alias: 'o', type: 'string', describe: 'Write to this file atomically (default: stdout)' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite --out even when it is an inventory or a dump' })
      .example('$0 metrics -i inv.sqlite', 'print the exposition')
      .example('$0 metrics -i inv.sqlite -o /var/lib/node_exporter/rdbscope.prom', 'for the node_exporter textfile collector') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    if (a.out !== undefined) checkOutput(a.out, [a.in], a.force);
    const db = openForRead(a.in);
    let text: string;
    try {
      text = renderMetrics(db);
    } finally {
      db.close();
    }
    if (a.out === undefined) {
      process.stdout.write(text);
      return;
    }
    writeFileAtomic(a.out, text, 'metrics');
  },
};
