import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { connect } from '../apply/connect.js';
import { restoreBackup } from '../apply/restore.js';
import { repr } from '../plan/quote.js';

interface Args {
  backup: string;
  url: string;
  replace: boolean;
  cluster: boolean;
  format: string;
}

export const restoreCommand: CommandModule<object, Args> = {
  command: 'restore <backup>',
  describe: 'Put back every key of an apply backup (RESTORE with its DUMP and its TTL)',
  builder: (y) =>
    y
      .positional('backup', { type: 'string', demandOption: true, describe: 'backup file written by rdbscope apply --execute' })
      .option('url', { type: 'string', demandOption: true, describe: 'redis://[user:password@]host:port or rediss:// (password also from REDISCLI_AUTH or RDBSCOPE_PASSWORD)' })
      .option('replace', { type: 'boolean', default: false, describe: 'overwrite keys that exist (otherwise they are reported and left alone)' })
      .option('cluster', { type: 'boolean', default: false, describe: 'connect as a Redis Cluster client (detected otherwise)' })
      .option('format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'json: one JSON object a key, then a summary' })
      .example('$0 restore cleanup.plan.backup --url redis://10.0.0.5:6379', 'undo an apply'),
  handler: async (a) => {
    const t = await connect(a.url, a.cluster);
    try {
      const json = a.format === 'json';
      const counts = await restoreBackup(t.client, t.cluster, a.backup, {
        replace: a.replace,
        onOutcome: (o) => {
          if (o.record === null) {
            // a record that does not parse: said on stderr, and in the JSON stream
            process.stderr.write(`rdbscope: ${o.detail}; skipped, every whole record is restored\n`);
            if (json) process.stdout.write(JSON.stringify({ status: o.status, detail: o.detail }) + '\n');
            return;
          }
          const key = repr(o.record.key);
          if (json) process.stdout.write(JSON.stringify({ db: o.record.db, key, key_base64: o.record.key.toString('base64'), status: o.status, detail: o.detail }) + '\n');
          else process.stdout.write(`db ${o.record.db} ${key}: ${o.status}${o.detail ? ` (${o.detail})` : ''}\n`);
        },
      });
      if (json) process.stdout.write(JSON.stringify({ summary: counts }) + '\n');
      else {
        const broken = counts.broken > 0 ? `, ${counts.broken} broken records skipped` : '';
        process.stdout.write(`restored ${counts.restored}, ${counts.exists} already existed, ${counts.expired} expired, ${counts.error} errors${broken}\n`);
      }
      if (counts.error > 0 || counts.exists > 0 || counts.broken > 0) process.exitCode = 1;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${t.shown}: ${(err as Error).message?.split('\n')[0] ?? String(err)}`, 1);
    } finally {
      await t.close();
    }
  },
};
