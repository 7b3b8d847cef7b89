/**
 * The backup of every key a plan removes data from: one JSON line per key (key and DUMP payload base64, so any
 * bytes survive), appended and fsync'd before the command that changes the key is sent. `restore` reads it back.
 * A torn last line (a crash while writing) is ignored; the line before it is whole, since each batch is fsync'd.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UserError } from '../errors.js';
import { AppendLog } from './append-log.js';

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
  const text = head.subarray(0, n).toString('utf8');
  // A header torn by a crash while the file was being created: cut when the file is opened.
  if (!text.includes('\n') && `{"${BACKUP_MAGIC}":1,`.startsWith(text.slice(0, 20))) return;
  const first = text.split('\n')[0]!;
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

/** An append-only backup file (a torn last record, left by a crash or a full disk, is cut when it is opened). */
export class BackupWriter {
  private readonly log: AppendLog;

  constructor(readonly path: string, plan: string, target: string) {
    if (existsSync(path)) checkTarget(path, target);
    this.log = AppendLog.open(path, 'backup file');
    if (this.log.cut > 0) {
      process.stderr.write(`rdbscope: warning: ${path}: cut a torn last record (${this.log.cut} bytes; its command was not sent)\n`);
    }
    if (this.log.empty) this.log.append([JSON.stringify({ [BACKUP_MAGIC]: 1, plan, target, created: new Date().toISOString() })]);
  }

  /** Appends the records and returns once they are on disk. */
  append(records: readonly BackupRecord[]): void {
    this.log.append(records.map((r) => JSON.stringify({
      db: r.db, key: r.key.toString('base64'), expiresAt: r.expiresAt, dump: r.dump.toString('base64'), line: r.line, at: r.at,
    })));
  }

  close(): void {
    this.log.close();
  }
}

/**
 * Reads a backup file record by record (streaming). A record that does not parse before the last line is passed to
 * `onBroken` (its line number and what is wrong) and skipped, so that every whole record is still read; without
 * `onBroken` it is an error.
 */
export async function* readBackup(path: string, onBroken?: (line: number, why: string) => void): AsyncGenerator<BackupRecord> {
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
    if (pending) {
      let rec: BackupRecord | null = null;
      try {
        rec = parse(pending.text, pending.n);
      } catch (err) {
        if (!onBroken || !(err instanceof UserError)) throw err;
        onBroken(pending.n, err.message.replace(/^.*?:\d+: /, ''));
      }
      if (rec) yield rec;
    }
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
