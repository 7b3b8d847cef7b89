/**
 * Running a snapshot's rules on two threads: a rule may read every key of the snapshot (a user's rule over keys;
 * the built-in ones read the index-time summaries and take milliseconds), so on millions of keys the rules can be
 * the slow part of `recommend` and `report`, and they are independent read-only queries. The results
 * are the same as runRules' (tested), in the same order.
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../errors.js';
import { startWorker } from '../worker-start.js';
import { compileRules, rankOutcomes, type RuleOutcome, type RuleResults } from './engine.js';
import { combinedSavings, type FindingKey } from './overlap.js';
import type { Rule } from './format.js';
import type { Db } from './snapshot.js';

export interface RuleTask {
  path: string;
  snapshotId: number;
  rules: readonly Rule[];
  /** Int32Array over it: [0] the index of the next rule to run. */
  next: SharedArrayBuffer;
}

export type RuleWorkerMessage =
  | { kind: 'outcome'; index: number; outcome: RuleOutcome; keys: FindingKey[] | null }
  | { kind: 'done' }
  | { kind: 'error'; message: string; user: boolean };

/**
 * Runs `rules` for snapshot `snapshotId` of the inventory at `path` on up to `threads` threads (default: the
 * machine's cores, at most 4; `signal` stops them). `db` is the caller's connection to the same inventory: every rule is compiled on it
 * first, so that a bad rule fails before any runs, exactly as with runRules. Returns once all have run; the
 * caller's thread is free meanwhile (report computes its summary then). The results carry the findings' savings
 * counted once a key (`combined`), computed on `db` at the end from the findings' keys the threads listed.
 */
export function runRulesInParallel(
  db: Db, path: string, rules: readonly Rule[], snapshotId: number, opts: { threads?: number; signal?: AbortSignal } = {},
): Promise<RuleResults> {
  compileRules(db, rules);
  if (rules.length === 0) return Promise.resolve({ ...rankOutcomes([]), combined: { now: 0, expiry: 0, rewrite: 0, total: 0, notDeduplicated: [] } });
  const n = Math.max(1, Math.min(opts.threads ?? Math.min(4, availableParallelism()), rules.length));
  const task: RuleTask = { path, snapshotId, rules, next: new SharedArrayBuffer(4) };
  const outcomes: Array<RuleOutcome | undefined> = new Array(rules.length);
  const listed = new Map<string, FindingKey[] | null>();
  return new Promise<RuleResults>((resolve, reject) => {
    const workers = Array.from({ length: n }, () => startWorker(import.meta.url, 'rule-worker', { workerData: task }));
    let running = n;
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(err);
    };
    opts.signal?.addEventListener('abort', () => fail(new Error('stopped')), { once: true });
    for (const w of workers) {
      w.on('message', (m: RuleWorkerMessage) => {
        if (m.kind === 'outcome') {
          outcomes[m.index] = m.outcome;
          listed.set(rules[m.index]!.id, m.keys);
        }
        else if (m.kind === 'error') fail(m.user ? new UserError(m.message) : new Error(m.message));
        else if (--running === 0 && !failed) {
          const missing = outcomes.findIndex((o) => o === undefined);
          if (missing >= 0) fail(new Error(`rule ${rules[missing]!.id} was not run`));
          else {
            const results = rankOutcomes(outcomes as RuleOutcome[]);
            try {
              resolve({ ...results, combined: combinedSavings(db, rules, results, snapshotId, listed) });
            } catch (e) {
              fail(e as Error);
            }
          }
        }
      });
      w.on('error', (e: Error) => fail(e));
      w.on('exit', (code) => {
        if (code !== 0) fail(new Error(`a rule thread stopped (exit code ${code})`));
      });
    }
  });
}
