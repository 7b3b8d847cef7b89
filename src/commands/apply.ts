import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { checkReplId, connect } from '../apply/connect.js';
import { applyPlan, type Outcome } from '../apply/run.js';
import { openPlan } from '../plan/parse.js';
import { utf8OrNull } from '../output/text.js';
import { humanBytes } from '../inventory/progress.js';
import { formatCommand } from '../plan/write.js';

interface Args {
  plan: string;
  url: string;
  execute: boolean;
  tolerance: string;
  rate: number;
  batch: number;
  backup?: string;
  journal?: string;
  cluster: boolean;
  force: boolean;
  format: string;
  summary: boolean;
}

/** Parses `10%` or `0.1`. */
export function parseTolerance(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m) throw new UserError(`--tolerance ${JSON.stringify(text)}: expected a fraction (0.1) or a percentage (10%)`);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

const LABEL: Record<Outcome['status'], string> = {
  'would-apply': 'would apply', applied: 'applied', changed: 'skipped: changed since snapshot', missing: 'skipped: missing',
  error: 'error', 'already-done': 'already done', 'no-effect': 'skipped: would change nothing',
};

function describe(o: Outcome): string {
  const cmd = formatCommand(o.command.args);
  const extra = o.inFlightBefore ? ' (was in flight when the previous run stopped)' : '';
  return `line ${o.line} db ${o.db}: ${cmd}: ${LABEL[o.status]}${o.detail ? ` (${o.detail})` : ''}${extra}`;
}

export const applyCommand: CommandModule<object, Args> = {
  command: 'apply <plan>',
  describe: 'Apply a cleanup plan to a live server, key by key behind guards (a dry run unless --execute)',
  builder: (y) =>
    y
      .positional('plan', { type: 'string', demandOption: true, describe: 'plan file written by rdbscope plan' })
      .option('url', { type: 'string', demandOption: true, describe: 'redis://[user:password@]host:port[/db] or rediss:// (TLS); password also from REDISCLI_AUTH or RDBSCOPE_PASSWORD' })
      .option('execute', { type: 'boolean', default: false, describe: 'change the server (without it: report what would happen)' })
      .option('tolerance', { type: 'string', default: '10%', describe: 'how far a key\'s size may be from the snapshot\'s (fraction or %)' })
      .option('rate', { type: 'number', default: 0, describe: 'at most this many plan lines a second (0: no limit)' })
      .option('batch', { type: 'number', default: 100, describe: 'lines sent together (pipelined)' })
      .option('backup', { type: 'string', describe: 'backup file (default: PLAN.backup); restore with rdbscope restore' })
      .option('journal', { type: 'string', describe: 'journal file for resuming (default: PLAN.journal)' })
      .option('cluster', { type: 'boolean', default: false, describe: 'connect as a Redis Cluster client (detected otherwise)' })
      .option('force', { type: 'boolean', default: false, describe: 'apply even if the server\'s replication id is not the snapshot\'s' })
      .option('format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'json: one JSON object a line, then a summary object' })
      .option('summary', { type: 'boolean', default: false, describe: 'print only the summary, not a line per plan line (for big plans)' })
      .example('$0 apply cleanup.plan --url redis://10.0.0.5:6379', 'dry run: what would happen to each key')
      .example('REDISCLI_AUTH=secret $0 apply cleanup.plan --url rediss://app@cache:6380 --execute --rate 500', 'apply over TLS, 500 keys a second'),
  handler: async (a) => {
    const tolerance = parseTolerance(a.tolerance);
    if (!Number.isInteger(a.batch) || a.batch < 1) throw new UserError('--batch must be a positive integer');
    if (!(a.rate >= 0)) throw new UserError('--rate must be 0 or more');
    const plan = openPlan(a.plan);
    const t = await connect(a.url, a.cluster);
    try {
      const warning = await checkReplId(t, plan.replId, a.force);
      if (warning) process.stderr.write(`rdbscope: warning: ${warning}\n`);
      if (a.execute) {
        const role = /^role:(\w+)/m.exec(await t.nodes()[0]!.info('replication'))?.[1];
        if (role === 'slave') throw new UserError(`${t.shown} is a replica: apply the plan to its master`);
      }
      const json = a.format === 'json';
      const tty = process.stderr.isTTY === true;
      let lastProgress = 0;
      let stop = false;
      const onSigint = (): void => {
        stop = true;
        process.stderr.write('\nrdbscope: stopping after the current batch (Ctrl-C again to quit at once)\n');
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      const summary = await applyPlan(t.client, t.cluster, plan, {
        execute: a.execute, tolerance, rate: a.rate, batch: a.batch, planPath: a.plan, target: t.shown,
        backupPath: a.backup ?? `${a.plan}.backup`, journalPath: a.journal ?? `${a.plan}.journal`,
        onOutcome: (o) => {
          if (a.summary) return;
          if (json) {
            process.stdout.write(JSON.stringify({
              // the key as text when it is UTF-8 (null otherwise), and always its exact bytes in base64
              line: o.line, db: o.db, command: o.command.args[0]!.toString(), key: utf8OrNull(o.command.args[1]!),
              key_base64: o.command.args[1]!.toString('base64'), status: o.status, detail: o.detail, in_flight_before: o.inFlightBefore,
            }) + '\n');
          } else process.stdout.write(describe(o) + '\n');
        },
        onProgress: tty ? (done, total) => {
          if (Date.now() - lastProgress < 200 && done < total) return;
          lastProgress = Date.now();
          process.stderr.write(`\r${a.execute ? 'applying' : 'checking'}: ${done}/${total} lines${done === total ? '\n' : ''}`);
        } : undefined,
        shouldStop: () => stop,
      });
      process.removeListener('SIGINT', onSigint);
      const c = summary.counts;
      // What the server's used_memory says was freed, next to what the plan estimated (its header).
      const estimate = (name: string): number | null => {
        const m = /^(\d+)/.exec(plan.header.get(name) ?? '');
        return m ? Number(m[1]) : null;
      };
      const memory = summary.memory === null ? null : {
        used_before: summary.memory.before, used_after: summary.memory.after, freed: summary.memory.before - summary.memory.after,
        estimated_now: estimate('bytes to free now'), estimated_at_expiry: estimate('bytes to free at expiry'),
      };
      if (json) process.stdout.write(JSON.stringify({ summary: { execute: a.execute, lines: summary.total, ...c, backed_up: summary.backedUp, memory } }) + '\n');
      else {
        const head = a.execute ? `applied ${c.applied}` : `dry run: ${c['would-apply']} would apply`;
        process.stdout.write(`${head}, ${c.changed} changed since snapshot, ${c.missing} missing, ` +
          (c['no-effect'] > 0 ? `${c['no-effect']} would change nothing (none of the named fields exist), ` : '') + `${c.error} errors, ` +
          `${c['already-done']} already done, of ${summary.total} lines` +
          (a.execute ? `; ${summary.backedUp} keys backed up in ${a.backup ?? `${a.plan}.backup`}` : '; nothing was changed (add --execute)') + '\n');
        if (memory) {
          const est = memory.estimated_now === null ? 'no estimate in the plan'
            : `the plan estimated ${humanBytes(memory.estimated_now)} now and ${humanBytes(memory.estimated_at_expiry ?? 0)} more at expiry`;
          process.stdout.write(`memory: used_memory ${humanBytes(memory.used_before)} before, ${humanBytes(memory.used_after)} after: ` +
            `${memory.freed >= 0 ? `${humanBytes(memory.freed)} freed` : `${humanBytes(-memory.freed)} more`} (${est}; other clients' writes count too)\n`);
        }
      }
      if (summary.interrupted) {
        process.stderr.write(`rdbscope: interrupted; run the same command again to resume (journal ${a.journal ?? `${a.plan}.journal`})\n`);
        process.exitCode = 130;
      } else if (c.error > 0) process.exitCode = 1;
    } catch (err) {
      if (err instanceof UserError) throw err;
      const msg = (err as Error).message?.split('\n')[0] ?? String(err);
      throw new UserError(`${t.shown}: ${msg}; re-run the same command to resume`, 1);
    } finally {
      await t.close();
    }
  },
};
