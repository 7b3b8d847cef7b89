/**
 * Applying a plan: per batch of lines (one database at a time, at most --rate lines a second), journal the batch
 * as sent, back up (DUMP + expiry, fsync'd) the keys its destructive commands touch, run each command through the
 * guard script, then journal each line's outcome. Without `execute`, only the guard check runs: nothing changes.
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DESTRUCTIVE, type PlanCommand, type PlanStream } from '../plan/model.js';
import { UserError } from '../errors.js';
import { BackupWriter, type BackupRecord } from './backup.js';
import type { Client } from './connect.js';
import { memoryAfter, memoryBefore } from './measure.js';
import { defineGuard, runGuard, sha1, type GuardReply } from './guard.js';
import { Journal, type JournalEntry } from './journal.js';

/** `no-effect`: an HDEL none of whose fields the hash has (not run: it would change nothing). */
export type OutcomeStatus = 'would-apply' | 'applied' | 'changed' | 'missing' | 'error' | 'already-done' | 'no-effect';

export interface Outcome {
  readonly line: number;
  readonly db: number;
  readonly command: PlanCommand;
  readonly status: OutcomeStatus;
  readonly detail: string;
  /** The line had been sent by an earlier run that stopped before recording its outcome. */
  readonly inFlightBefore: boolean;
}

export interface ApplyOptions {
  readonly execute: boolean;
  readonly tolerance: number;
  /** Lines per second; 0 = no limit. */
  readonly rate: number;
  readonly batch: number;
  readonly backupPath: string;
  readonly journalPath: string;
  readonly planPath: string;
  /** The server, as shown (URL without password): a journal and a backup belong to one server. */
  readonly target: string;
  readonly onOutcome: (o: Outcome) => void;
  readonly onProgress?: (done: number, total: number) => void;
  /** Asked after each batch: true stops the run there (Ctrl-C); a re-run resumes after the last finished line. */
  readonly shouldStop?: () => boolean;
}

export interface ApplySummary {
  readonly total: number;
  readonly counts: Record<OutcomeStatus, number>;
  readonly backedUp: number;
  /** The run stopped early (shouldStop) with lines left. */
  readonly interrupted: boolean;
  /** With --execute: used_memory (summed over a cluster's masters) before the first command and after the last. */
  readonly memory: { before: number; after: number } | null;
}

function keyId(c: PlanCommand): string {
  return `${c.db}:${c.args[1]!.toString('base64')}`;
}

function statusOf(r: GuardReply, execute: boolean): OutcomeStatus {
  if (r.status === 'ok') return execute ? 'applied' : 'would-apply';
  if (r.status === 'done') return 'applied';
  if (r.status === 'noop') return 'no-effect';
  return r.status;
}

/** Groups commands into batches of one database each. */
function* batches(cmds: Iterable<PlanCommand>, size: number): Generator<PlanCommand[]> {
  let cur: PlanCommand[] = [];
  for (const c of cmds) {
    if (cur.length > 0 && (cur.length >= size || cur[0]!.db !== c.db)) {
      yield cur;
      cur = [];
    }
    cur.push(c);
  }
  if (cur.length > 0) yield cur;
}

/** The plan, its journal and its backup must be three different files: records of one mixed into another are lost. */
function checkDistinctFiles(files: Array<[string, string]>): void {
  const real = (p: string): string => (existsSync(p) ? realpathSync(p) : resolve(p));
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      if (real(files[i]![1]) === real(files[j]![1])) {
        throw new UserError(`${files[j]![1]}: the ${files[j]![0]} and the ${files[i]![0]} must be different files`);
      }
    }
  }
}

export async function applyPlan(client: Client, cluster: boolean, plan: PlanStream, o: ApplyOptions): Promise<ApplySummary> {
  checkDistinctFiles([['plan', o.planPath], ['journal', o.journalPath], ['backup', o.backupPath]]);
  defineGuard(client);
  const journal = new Journal(o.journalPath, plan.sha256, o.target);
  const counts: Record<OutcomeStatus, number> = { 'would-apply': 0, applied: 0, changed: 0, missing: 0, error: 0, 'already-done': 0, 'no-effect': 0 };
  const emit = (c: PlanCommand, status: OutcomeStatus, detail: string): void => {
    counts[status]++;
    o.onOutcome({ line: c.line, db: c.db, command: c, status, detail, inFlightBefore: journal.inFlight.has(c.line) });
  };
  // Keys whose backed-up (first destructive) command did not run: their later commands must not run either.
  const refused = new Set<string>();
  let done = 0;
  /** The commands still to send; those an earlier run finished are reported as such on the way. */
  function* pending(): Generator<PlanCommand> {
    for (const c of plan.commands()) {
      if (cluster && c.db !== 0) throw new UserError(`line ${c.line}: the plan selects database ${c.db}, which a cluster does not have`);
      const j = journal.finished.get(c.line);
      if (!j) {
        yield c;
        continue;
      }
      if (c.backup && j.status !== 'applied') refused.add(keyId(c));
      emit(c, 'already-done', `${j.status} in an earlier run${j.detail ? `: ${j.detail}` : ''}`);
      done++;
    }
  }
  const backup = o.execute ? new BackupWriter(o.backupPath, o.planPath, o.target) : null;
  const before = o.execute ? await memoryBefore(client, cluster) : null;
  let backedUp = 0;
  const size = o.rate > 0 ? Math.max(1, Math.min(o.batch, Math.ceil(o.rate / 4))) : o.batch;
  const started = Date.now();
  let sentLines = 0;
  let db = -1;
  let interrupted = false;
  try {
    for (const batch of batches(pending(), size)) {
      if (o.shouldStop?.()) {
        interrupted = true;
        break;
      }
      if (!cluster && batch[0]!.db !== db) {
        db = batch[0]!.db;
        await (client as import('ioredis').Redis).select(db);
      }
      const outcomes = o.execute ? await executeBatch(client, batch, o, journal, backup!, refused) : await checkBatch(client, batch, o, refused);
      for (const x of outcomes) {
        emit(x.c, x.status, x.detail);
        if (x.backedUp) backedUp++;
      }
      done += batch.length;
      sentLines += batch.length;
      o.onProgress?.(done, plan.count);
      if (o.rate > 0) {
        const due = started + (sentLines * 1000) / o.rate;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }
  } finally {
    backup?.close();
    journal.close();
  }
  const memory = before !== null ? { before, after: await memoryAfter(client, cluster) } : null;
  return { total: plan.count, counts, backedUp, interrupted, memory };
}

/** The command's name and its arguments after the key, as the guard takes them. */
function commandOf(c: PlanCommand): Buffer[] {
  return [c.args[0]!, ...c.args.slice(2)];
}

interface BatchOutcome {
  c: PlanCommand;
  status: OutcomeStatus;
  detail: string;
  backedUp: boolean;
}

/** Dry run: the guard check only. A key's later commands (trim batches) follow its first one's verdict. */
async function checkBatch(client: Client, batch: PlanCommand[], o: ApplyOptions, refused: Set<string>): Promise<BatchOutcome[]> {
  const first = batch.filter((c) => c.backup || !DESTRUCTIVE.has(c.args[0]!.toString()));
  // Sent together: ioredis writes them back to back, one round trip for the batch.
  const replies = await Promise.all(first.map((c) => runGuard(client, 'check', c.args[1]!, c.guard, o.tolerance, '', commandOf(c))));
  const byLine = new Map(first.map((c, i) => [c.line, replies[i]!]));
  return batch.map((c) => {
    const r = byLine.get(c.line);
    if (!r) {
      const no = refused.has(keyId(c));
      return { c, status: no ? 'changed' : 'would-apply', detail: no ? 'an earlier command on this key would not be applied' : 'after the earlier command on this key', backedUp: false };
    }
    if (r.status !== 'ok' && c.backup) refused.add(keyId(c));
    return { c, status: statusOf(r, false), detail: r.detail, backedUp: false };
  });
}

async function executeBatch(
  client: Client, batch: PlanCommand[], o: ApplyOptions, journal: Journal, backup: BackupWriter, refused: Set<string>,
): Promise<BatchOutcome[]> {
  journal.sent(batch.map((c) => c.line));
  const result = new Map<number, BatchOutcome>();
  for (const c of batch) {
    if (!c.backup && refused.has(keyId(c))) {
      result.set(c.line, { c, status: 'changed', detail: 'an earlier command on this key was not applied', backedUp: false });
    }
  }
  // 1. Back up the keys that destructive commands touch first, and put the backup on disk.
  const toDump = batch.filter((c) => c.backup && !result.has(c.line));
  const dumps = await Promise.all(toDump.map((c) => runGuard(client, 'dump', c.args[1]!, c.guard, o.tolerance, '', commandOf(c))));
  const digests = new Map<number, string>();
  const records: BackupRecord[] = [];
  const at = new Date().toISOString();
  toDump.forEach((c, i) => {
    const r = dumps[i]!;
    if (r.status !== 'ok') {
      refused.add(keyId(c));
      result.set(c.line, { c, status: statusOf(r, true), detail: r.detail, backedUp: false });
      return;
    }
    records.push({ db: c.db, key: c.args[1]!, dump: r.dump!, expiresAt: r.expiresAt!, line: c.line, at });
    digests.set(c.line, sha1(r.dump!));
  });
  backup.append(records);
  // 2. Run the commands, each behind its guard (and, after a backup, behind the backup's digest).
  const toRun = batch.filter((c) => !result.has(c.line));
  const replies = await Promise.all(toRun.map((c) =>
    runGuard(client, 'apply', c.args[1]!, c.guard, o.tolerance, digests.get(c.line) ?? '', commandOf(c))));
  toRun.forEach((c, i) => {
    const r = replies[i]!;
    if (r.status !== 'done' && c.backup) refused.add(keyId(c));
    result.set(c.line, { c, status: statusOf(r, true), detail: r.status === 'done' ? `reply ${r.detail}` : r.detail, backedUp: digests.has(c.line) });
  });
  const out = batch.map((c) => result.get(c.line)!);
  journal.finish(out.map((x): JournalEntry => ({ line: x.c.line, status: x.status, detail: x.detail })));
  return out;
}
