import type { CommandModule } from 'yargs';
import { ACTIONS, type Action } from '../plan/model.js';
import { makePlan, type MakePlanResult } from '../plan/index.js';
import { checkOutput } from '../output/files.js';

interface Args {
  rule?: string;
  where?: string;
  in: string;
  snapshot?: string;
  out: string;
  action?: string;
  ttl?: number;
  fields?: string[];
  keep?: number;
  jitter?: number;
  batch: number;
  format: string;
  json: boolean;
  force: boolean;
}

export const planCommand: CommandModule<object, Args> = {
  command: 'plan',
  describe: 'Write a reviewable cleanup plan (redis-cli commands with guards) for the keys a rule or --where selects',
  builder: (y) =>
    y
      .option('rule', { type: 'string', describe: 'rule id whose affected keys to act on (rdbscope recommend lists them)' })
      .option('where', { type: 'string', describe: 'SQL condition over the keys table (ANDed with the rule)' })
      .option('in', { type: 'string', default: 'rdbscope.sqlite', describe: 'inventory file' })
      .option('snapshot', { type: 'string', describe: 'snapshot id or label (default: the newest complete one)' })
      .option('out', { type: 'string', demandOption: true, describe: 'plan file to write' })
      .option('action', { type: 'string', choices: ACTIONS as unknown as string[], describe: 'what to do to each key: unlink, expire (add a TTL to keys without one), cap-ttl (EXPIRE LT), persist, hdel (--fields), trim (--keep)' })
      .option('ttl', { type: 'number', describe: 'seconds: the TTL to add (expire) or the cap (cap-ttl)' })
      .option('fields', { type: 'string', array: true, describe: 'hash fields to delete (hdel): --fields a,b or --fields a --fields b' })
      .option('jitter', { type: 'number', describe: 'expire, cap-ttl: spread the TTLs over +-P % so that the keys do not expire together (default: 10 for plans of over 1,000 keys; 0: off)' })
      .option('keep', { type: 'number', describe: 'elements to keep (trim: list head, or highest-scored zset members)' })
      .option('batch', { type: 'number', default: 1000, describe: 'elements removed per command (trim)' })
      .option('format', { type: 'string', choices: ['text', 'resp'], default: 'text', describe: 'resp: also write OUT.resp for redis-cli --pipe' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite --out (or OUT.resp) even when it is an inventory or a dump' })
      .example('$0 plan --where "pattern = \'session:{uuid}\'" --action expire --ttl 86400 --out cleanup.plan', 'add a day of TTL to sessions without one')
      .example('$0 plan --rule expired-keys --in inv.sqlite --out cleanup.plan --format resp', 'unlink keys that had expired, plus a RESP copy'),
  handler: (a) => {
    checkOutput(a.out, [a.in], a.force);
    if (a.format === 'resp') checkOutput(`${a.out}.resp`, [a.in], a.force);
    const result: MakePlanResult = makePlan({
      inventory: a.in, snapshot: a.snapshot, rule: a.rule ?? null, where: a.where ?? null, out: a.out,
      action: (a.action as Action | undefined) ?? null, ttl: a.ttl ?? null, fields: a.fields ?? [], keep: a.keep ?? null,
      batch: a.batch, resp: a.format === 'resp', jitter: a.jitter ?? null,
    });
    if (a.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(`${result.out}: ${result.commands} commands on ${result.keys} keys of snapshot ${result.snapshot}, ` +
        `${result.bytesToFree} bytes to free now, ${result.bytesAtExpiry} at expiry (action ${result.action})${result.respOut ? `; RESP copy in ${result.respOut}` : ''}\n`);
      if (result.keys === 0) process.stderr.write('rdbscope: warning: no key matched; the plan is empty\n');
      for (const n of result.notes) process.stderr.write(`rdbscope: note: ${n}\n`);
    }
  },
};
