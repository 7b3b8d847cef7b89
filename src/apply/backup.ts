/**
 * The backup of every key a plan removes data from: one JSON line per key (key and DUMP payload base64, so any
 * bytes survive), appended and fsync'd before the command that changes the key is sent. `restore` reads it back.
 * A torn last line (a crash while writing) is ignored; the line before it is whole, since each batch is fsync'd.
 */
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UserError } from '../errors.js';

export const BACKUP_MAGIC = 'rdbscope-backup';

export interface BackupRecord {
  readonly db: number;
  readonly key: Buffer;
  /** The DUMP payload (RDB-serialized value with version and CRC). */
  readonly dump: Buffer;
  /** Absolute expiry in ms since the epoch, or -1 when the key had no TTL. */
  readonly expiresAt: number;
  /** Plan line of the command the backup was taken for. */
  readonly line: number;
  readonly at: string;
}

/** Refuses to mix the backups of two servers in one file (restore would put them all on one). */
function checkTarget(path: string, target: string): void {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const first = head.subarray(0, n).toString('utf8').split('\n')[0]!;
  let o: Record<string, unknown> = {};
  try {
    o = JSON.parse(first) as Record<string, unknown>;
  } catch {
    /* checked below */
  }
  if (o[BACKUP_MAGIC] !== 1) throw new UserError(`${path}: exists and is not an rdbscope backup file; name another one with --backup`);
  if (o.target !== undefined && o.target !== target) {
    throw new UserError(`${path}: holds backups from ${String(o.target)}, not ${target}; name another one with --backup`);
  }
}

/** An append-only backup file. */
export class BackupWriter {
  private fd: number;

  constructor(readonly path: string, plan: string, target: string) {
    const fresh = !existsSync(path);
    if (!fresh) checkTarget(path, target);
    try {
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw new UserError(`${path}: cannot open the backup file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (fresh) this.appendLines([JSON.stringify({ [BACKUP_MAGIC]: 1, plan, target, created: new Date().toISOString() })]);
  }

  private appendLines(lines: string[]): void {
    const b = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off);
    fsyncSync(this.fd);
  }

  /** Appends the records and returns once they are on disk. */
  append(records: readonly BackupRecord[]): void {
    if (records.length === 0) return;
    this.appendLines(records.map((r) => JSON.stringify({
      db: r.db, key: r.key.toString('base64'), expiresAt: r.expiresAt, dump: r.dump.toString('base64'), line: r.line, at: r.at,
    })));
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a backup file record by record (streaming). */
export async function* readBackup(path: string): AsyncGenerator<BackupRecord> {
  if (!existsSync(path)) throw new UserError(`${path}: no such backup file`);
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  let pending: { text: string; n: number } | null = null;
  const parse = (text: string, at: number): BackupRecord => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UserError(`${path}:${at}: not a backup record (expected a JSON line)`);
    }
    if (typeof o.db !== 'number' || typeof o.key !== 'string' || typeof o.dump !== 'string' || typeof o.expiresAt !== 'number') {
      throw new UserError(`${path}:${at}: a backup record needs db, key, dump and expiresAt`);
    }
    return {
      db: o.db, key: Buffer.from(o.key, 'base64'), dump: Buffer.from(o.dump, 'base64'), expiresAt: o.expiresAt,
      line: typeof o.line === 'number' ? o.line : 0, at: String(o.at ?? ''),
    };
  };
  for await (const text of rl) {
    n++;
    if (n === 1) {
      if (!text.includes(`"${BACKUP_MAGIC}"`)) throw new UserError(`${path}:1: not an rdbscope backup file`);
      continue;
    }
    if (pending) yield parse(pending.text, pending.n);
    pending = text.trim() === '' ? null : { text, n };
  }
  if (n === 0) throw new UserError(`${path}: empty file, not an rdbscope backup`);
  if (pending) {
    // The last line: whole unless a crash tore it while it was written.
    let rec: BackupRecord | null = null;
    try {
      rec = parse(pending.text, pending.n);
    } catch {
      process.stderr.write(`rdbscope: warning: ${path}:${pending.n}: torn last record ignored (the run was interrupted while writing it; its command was not sent)\n`);
    }
    if (rec) yield rec;
  }
}
