/** `rdbscope shape`: what the values of each key family look like (formats, JSON fields, measured encodings). */
import type { Argv, CommandModule } from 'yargs';
import { openInventory, resolveSnapshot } from '../rules/snapshot.js';
import { loadShapes, renderShapesText } from '../shapes/report.js';

interface Args {
  in: string;
  snapshot?: string;
  pattern?: string;
  format: 'text' | 'json';
}

export const shapeCommand: CommandModule<object, Args> = {
  command: 'shape',
  describe: 'Value shapes per key family, from the sample `index` takes: formats, JSON field weights, measured deflate / MessagePack / hash savings',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('snapshot', { alias: 's', type: 'string', describe: 'Snapshot id or label (default: the newest complete one)' })
      .option('pattern', { alias: 'p', type: 'string', describe: "One family (its pattern, e.g. 'session:{uuid}'), or several with * wildcards" })
      .option('format', { alias: 'f', type: 'string', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format (json: an array of families)' })
      .example('$0 shape --in inv.sqlite', 'every sampled family, largest first')
      .example("$0 shape --pattern 'session:*' --format json", 'the session families as JSON') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    const db = openInventory(a.in);
    try {
      const snap = resolveSnapshot(db, a.in, a.snapshot);
      const fams = loadShapes(db, a.in, snap.id, a.pattern);
      if (a.format === 'json') process.stdout.write(JSON.stringify(fams, null, 2) + '\n');
      else process.stdout.write(renderShapesText(fams));
    } finally {
      db.close();
    }
  },
};
