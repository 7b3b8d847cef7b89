/** `rdbscope metrics`: an inventory's figures as Prometheus text exposition (for node_exporter's textfile collector). */
import type { Argv, CommandModule } from 'yargs';
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openForRead } from '../inventory/db.js';
import { UserError } from '../errors.js';
import { renderMetrics } from '../report/metrics.js';

interface Args {
  in: string;
  out?: string;
}

export const metricsCommand: CommandModule<object, Args> = {
  command: 'metrics',
  describe: 'Prometheus text exposition of every complete snapshot: keys, memory, TTL share, expired bytes, growth',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('out', { alias: 'o', type: 'string', describe: 'Write to this file atomically (default: stdout)' })
      .example('$0 metrics -i inv.sqlite', 'print the exposition')
      .example('$0 metrics -i inv.sqlite -o /var/lib/node_exporter/rdbscope.prom', 'for the node_exporter textfile collector') as unknown as Argv<Args>,
  handler: (a: Args): void => {
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
    const tmp = join(dirname(a.out), `.${basename(a.out)}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, a.out);
    } catch (e) {
      throw new UserError(`${a.out}: cannot write the metrics: ${(e as Error).message.split('\n')[0]}`);
    }
  },
};
