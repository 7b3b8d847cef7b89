/**
 * The cleanup plan as data. A plan file is text: `#` comment lines (a header, one comment per key pattern), and
 * for every change a guard line `#@ ...` followed by one command in redis-cli syntax. The guard holds what the
 * snapshot recorded for the key, so that `apply` can refuse a key that changed since. A command line never carries
 * anything but the command, so pasting it into redis-cli does exactly what it says.
 */

import { createHash } from 'node:crypto';

export const PLAN_MAGIC = '# rdbscope cleanup plan, format 1';

export type Action = 'unlink' | 'expire' | 'cap-ttl' | 'persist' | 'hdel' | 'trim';
export const ACTIONS: readonly Action[] = ['unlink', 'expire', 'cap-ttl', 'persist', 'hdel', 'trim'];

/** The commands a plan may hold (besides SELECT); the key is always their first argument. */
export const PLAN_COMMANDS = ['UNLINK', 'EXPIRE', 'PERSIST', 'HDEL', 'LTRIM', 'ZREMRANGEBYRANK'] as const;
/**
 * Commands that remove data, now or when the TTL they set runs out: the key is backed up (DUMP + expiry) before
 * the first of them touches it. PERSIST removes nothing.
 */
export const DESTRUCTIVE = new Set<string>(['UNLINK', 'HDEL', 'LTRIM', 'ZREMRANGEBYRANK', 'EXPIRE']);

/** What the snapshot recorded for a key, as checked on the server before a command runs. */
export interface Guard {
  /** TYPE as the snapshot saw it. */
  readonly type: string;
  /** Whether the key had a TTL. */
  readonly ttl: 'none' | 'set';
  /** The absolute expiry (ms since the epoch) when it had one; informative only. */
  readonly expiresAt: number | null;
  /** STRLEN or element count expected before the command runs (-1: not checked, e.g. module values). */
  readonly len: number;
  /** Estimated memory of the key in the snapshot (informative). */
  readonly mem: number;
}

export function formatGuard(g: Guard): string {
  const ttl = g.ttl === 'none' ? 'none' : g.expiresAt !== null ? String(g.expiresAt) : 'set';
  return `#@ type=${g.type} ttl=${ttl} len=${g.len} mem=${g.mem}`;
}

/**
 * The seal of one change: a digest of the plan's own random `# seal:` value, the database, the guard line (without
 * its seal) and the command line. `plan` writes it at the end of each guard line; `apply` refuses a command whose
 * seal does not match, so a line added to the plan, or changed, after it was written (by hand, or by text that
 * escaped its comment line) is never run, while lines can still be removed to leave keys alone.
 */
export function sealOf(planSeal: string, db: number, guard: string, command: string): string {
  return createHash('sha256').update(`${planSeal}\n${db}\n${guard}\n${command}`).digest('hex').slice(0, 24);
}

/** Parses a `#@` line; returns an error text when it is malformed. */
export function parseGuard(line: string): Guard | string {
  const fields = new Map<string, string>();
  for (const tok of line.slice(2).trim().split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq <= 0) return `malformed guard field '${tok}'`;
    if (fields.has(tok.slice(0, eq))) return `guard field '${tok.slice(0, eq)}' given twice`;
    fields.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  const type = fields.get('type');
  const ttl = fields.get('ttl');
  const len = Number(fields.get('len'));
  const mem = Number(fields.get('mem') ?? '0');
  if (!type || !/^[a-z]+$/.test(type)) return 'guard without a valid type=';
  if (ttl === undefined || !/^(none|set|\d+)$/.test(ttl)) return 'guard without a valid ttl= (none, set or ms since the epoch)';
  if (!Number.isInteger(len) || len < -1) return 'guard without a valid len=';
  if (!Number.isFinite(mem)) return 'guard with an invalid mem=';
  return { type, ttl: ttl === 'none' ? 'none' : 'set', expiresAt: /^\d+$/.test(ttl) ? Number(ttl) : null, len, mem };
}

/** One change: a command on one key of one database, with its guard. */
export interface PlanCommand {
  /** 1-based line number of the command in the plan file. */
  readonly line: number;
  readonly db: number;
  /** Command name upper-cased, then its arguments; args[1] is the key. */
  readonly args: Buffer[];
  readonly guard: Guard;
  /** Whether the key is to be backed up before this command (first destructive command on it in the plan). */
  readonly backup: boolean;
  /** The command line as written. */
  readonly text: string;
}

export interface Plan {
  /** The `# name: value` header fields, e.g. 'repl-id', 'snapshot', 'action'. */
  readonly header: ReadonlyMap<string, string>;
  /** The replication id of the server that wrote the snapshot, when the dump recorded one. */
  readonly replId: string | null;
  readonly commands: PlanCommand[];
  /** sha256 of the plan file: a journal belongs to exactly one version of a plan. */
  readonly sha256: string;
}

/** A plan read from a file that was checked whole, handing out its commands one at a time. */
export interface PlanStream {
  readonly header: ReadonlyMap<string, string>;
  readonly replId: string | null;
  readonly sha256: string;
  /** Number of commands. */
  readonly count: number;
  /** Reads the file again and yields its commands in order. */
  commands(): Generator<PlanCommand>;
}
