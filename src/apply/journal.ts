/**
 * The journal of an apply: which plan lines are finished (applied, skipped, failed), appended and fsync'd after
 * each batch, so that a re-run after a crash or Ctrl-C starts after the last finished line and never sends a
 * line twice. A journal belongs to one version of one plan (its sha256) applied to one server (its URL, redacted).
 */
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { AppendLog } from './append-log.js';

export interface JournalEntry {
  readonly line: number;
  readonly status: string;
  readonly detail: string;
}

export class Journal {
  /** Finished lines and their outcome. */
  readonly finished = new Map<number, JournalEntry>();
  /** Lines sent in a batch whose outcome was never recorded (the run stopped while they were in flight). */
  readonly inFlight = new Set<number>();
  private log: AppendLog | null = null;

  constructor(readonly path: string, private readonly planSha: string, private readonly target: string) {
    if (!existsSync(path)) return;
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(text) as Record<string, unknown>;
      } catch {
        if (i >= lines.length - 2) return; // a torn last line
        throw new UserError(`${path}:${i + 1}: not a journal record`);
      }
      if (i === 0) {
        if (o.plan !== planSha) {
          throw new UserError(`${path}: this journal belongs to another version of the plan (it was edited since the run that wrote it); remove the journal to start over`);
        }
        if (o.target !== undefined && o.target !== target) {
          throw new UserError(`${path}: this journal records a run against ${String(o.target)}, not ${target}; name another one with --journal`);
        }
        return;
      }
      if (Array.isArray(o.sent)) for (const l of o.sent) this.inFlight.add(Number(l));
      else if (typeof o.line === 'number') {
        this.finished.set(o.line, { line: o.line, status: String(o.status), detail: String(o.detail ?? '') });
      }
    });
    for (const l of this.finished.keys()) this.inFlight.delete(l);
  }

  private write(records: object[]): void {
    if (this.log === null) {
      this.log = AppendLog.open(this.path, 'journal'); // cuts a torn last record, which the reading above ignored
      if (this.log.empty) records = [{ journal: 1, plan: this.planSha, target: this.target, created: new Date().toISOString() }, ...records];
    }
    this.log.append(records.map((r) => JSON.stringify(r)));
  }

  /** Records that these lines are about to be sent. */
  sent(lines: number[]): void {
    if (lines.length > 0) this.write([{ sent: lines }]);
  }

  /** Records finished lines. */
  finish(entries: JournalEntry[]): void {
    if (entries.length === 0) return;
    this.write(entries.map((e) => ({ line: e.line, status: e.status, detail: e.detail })));
    for (const e of entries) this.finished.set(e.line, e);
  }

  close(): void {
    this.log?.close();
    this.log = null;
  }
}
