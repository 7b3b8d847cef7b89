/**
 * A thread that runs rules over one inventory for parallel.ts: it opens its own read-only connection and takes
 * the next rule to run from a counter shared by all such threads (no round trip to the main thread, which may
 * be busy with the report's own queries meanwhile). Posts one message per rule, in any order, with the keys of a
 * finding that saves something (listFindingKeys).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileRules, runCompiledRule } from './engine.js';
import { listFindingKeys } from './overlap.js';
import type { Rule } from './format.js';
import { openInventory } from './snapshot.js';
import type { RuleTask, RuleWorkerMessage } from './parallel.js';

const task = workerData as RuleTask;
const port = parentPort!;
const next = new Int32Array(task.next);

function post(m: RuleWorkerMessage): void {
  port.postMessage(m);
}

try {
  const db = openInventory(task.path);
  try {
    for (;;) {
      const i = Atomics.add(next, 0, 1);
      if (i >= task.rules.length) break;
      const rule = task.rules[i] as Rule;
      const [compiled] = compileRules(db, [rule]);
      const outcome = runCompiledRule(compiled!, task.snapshotId);
      // The finding's keys, for counting each key once across findings at the end (overlap.ts).
      const keys = outcome.kind === 'finding' && outcome.finding.savings > 0 ? listFindingKeys(db, rule, outcome.finding, task.snapshotId) : null;
      post({ kind: 'outcome', index: i, outcome, keys });
    }
  } finally {
    db.close();
  }
  post({ kind: 'done' });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ kind: 'error', message: e.message.split('\n')[0] ?? String(e), user: e.name === 'RuleError' || e.name === 'UserError' });
}
