/**
 * Writing a plan: the reviewable text file, and optionally the same commands as RESP for `redis-cli --pipe`.
 * Both are written to a temporary file next to the target, fsync'd, then renamed: a reader sees a whole plan or
 * the previous one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { UserError } from '../errors.js';
import { randomBytes } from 'node:crypto';
import { formatGuard, PLAN_MAGIC, sealOf } from './model.js';
import type { PlanItem, Snapshot, Totals } from './build.js';
import { commentText, repr } from './quote.js';
import { humanBytes } from '../inventory/progress.js';

/** An output file written in chunks and renamed into place by {@link AtomicFile.commit}. */
export class AtomicFile {
  private readonly tmp: string;
  private fd: number;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (err) {
      throw new UserError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  write(data: string | Buffer): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.chunks.push(b);
    this.size += b.length;
    if (this.size >= 1 << 16) this.flush();
  }

  private flush(): void {
    const b = Buffer.concat(this.chunks);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off);
    this.chunks = [];
    this.size = 0;
  }

  commit(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    rmSync(this.tmp, { force: true });
  }
}

/** A command in redis-cli syntax: the key always quoted, other arguments bare when they are simple words. */
export function formatCommand(args: readonly Buffer[]): string {
  const [name, key, ...rest] = args;
  const shown = rest.map((a) => (/^[A-Za-z0-9_.:-]+$/.test(a.toString('latin1')) ? a.toString('latin1') : repr(a)));
  return [name!.toString('latin1'), ...(key ? [repr(key)] : []), ...shown].join(' ');
}

/** RESP encoding of one command (binary safe). */
export function respCommand(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}


export interface PlanMeta {
  readonly snapshot: Snapshot;
  readonly inventory: string;
  readonly rule: string | null;
  readonly where: string | null;
  readonly action: string;
  /** Human description of the action's parameters (ttl, fields, keep). */
  readonly params: string;
  readonly out: string;
  readonly respOut: string | null;
}

/** Every value written into a comment line goes through this (see commentText). */
const c = commentText;

function headerLines(m: PlanMeta, t: Totals, seal: string): string[] {
  const s = m.snapshot;
  const ctime = s.ctime !== null ? new Date(s.ctime * 1000).toISOString() : 'unknown';
  const lines = [
    PLAN_MAGIC,
    `# snapshot: ${s.id}${s.label ? ` (${c(s.label)})` : ''}, written by ${c(s.writer ?? 'unknown')} at ${ctime}, ` +
      `inventory ${c(m.inventory)}`,
    `# repl-id: ${c(s.replId ?? 'none')}`,
    `# rule: ${c(m.rule ?? '-')}`,
    `# where: ${c(m.where ?? '-')}`,
    `# action: ${c(m.action)}${m.params ? ` (${c(m.params)})` : ''}`,
    `# keys: ${t.keys}`,
    `# commands: ${t.commands}`,
    `# seal: ${seal}`,
    `# bytes to free now: ${t.free} (${humanBytes(t.free)}, estimated from the snapshot, when the commands run)`,
    `# bytes to free at expiry: ${t.atExpiry} (${humanBytes(t.atExpiry)}, once the TTLs this plan sets run out)`,
    `# generated at: ${new Date().toISOString()}`,
    '#',
    '# How to apply (a dry run unless --execute; keys that changed since the snapshot are skipped, and every key is',
    '# backed up with DUMP before a command removes data from it or gives it an expiry):',
    `#   rdbscope apply ${c(m.out)} --url redis://HOST:PORT`,
    `#   rdbscope apply ${c(m.out)} --url redis://HOST:PORT --execute`,
  ];
  if (m.respOut) lines.push(`# The same commands as RESP, without guards or backup: redis-cli --pipe < ${c(m.respOut)}`);
  lines.push(
    '# Each "#@" line is the guard of the command below it: the type, TTL (none, or the expiry in ms since the epoch),',
    '# size (STRLEN or element count) and memory recorded in the snapshot, and its seal: apply runs only commands whose',
    '# seal matches this plan\'s (a line added or changed since is refused). Remove a command and its "#@" line to',
    '# leave a key alone.',
  );
  return lines;
}

/** Writes the plan (and the RESP copy when asked). Returns the number of commands written. */
export function writePlan(m: PlanMeta, totals: Totals, items: Iterable<PlanItem>): number {
  const text = new AtomicFile(m.out);
  const resp = m.respOut ? new AtomicFile(m.respOut) : null;
  let written = 0;
  try {
    const seal = randomBytes(16).toString('hex');
    text.write(headerLines(m, totals, seal).join('\n') + '\n');
    let db = -1;
    for (const it of items) {
      if (it.kind === 'group') {
        const expiry = it.atExpiry > 0 ? `, ${humanBytes(it.atExpiry)} at expiry` : '';
        text.write(`\n# pattern ${c(it.pattern ?? '(none)')} in db ${it.db}: ${it.keys} keys, ${humanBytes(it.free)} to free now${expiry}\n`);
        continue;
      }
      if (it.db !== db) {
        db = it.db;
        text.write(`SELECT ${db}\n`);
        resp?.write(respCommand([Buffer.from('SELECT'), Buffer.from(String(db))]));
      }
      const guard = formatGuard(it.guard);
      const command = formatCommand(it.args);
      text.write(`${guard} seal=${sealOf(seal, db, guard, command)}\n${command}\n`);
      resp?.write(respCommand(it.args));
      written++;
    }
    text.commit();
    resp?.commit();
  } catch (err) {
    text.abort();
    resp?.abort();
    throw err;
  }
  return written;
}
