/**
 * Turning inventory rows into plan entries: which keys an action applies to (the action's own condition AND the
 * rule's or --where's), the command for each, its guard, and the bytes it should free.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { UserError } from '../errors.js';
import type { Action, Guard } from './model.js';

export interface Snapshot {
  readonly id: number;
  readonly label: string | null;
  readonly writer: string | null;
  readonly ctime: number | null;
  readonly replId: string | null;
}

export interface PlanOptions {
  readonly action: Action;
  /** SQL condition over the columns of `keys`, or null. */
  readonly where: string | null;
  /** A query returning rows of `keys` (at least snapshot_id, db, key) for the rule, or null. */
  readonly ruleSql: string | null;
  readonly ruleParams?: Record<string, unknown>;
  /** Seconds for expire / cap-ttl. */
  readonly ttl: number | null;
  /**
   * Spread of the TTLs of expire / cap-ttl, as a fraction (0.1: expire gives ttl +-10 %, cap-ttl between 90 % and
   * 100 % of the cap): keys given one TTL together would all expire in the same moment. 0: none.
   */
  readonly jitter?: number;
  /** Hash fields for hdel. */
  readonly fields: Buffer[];
  /** Elements to keep, and elements per command, for trim. */
  readonly keep: number | null;
  readonly batch: number;
}

export type PlanItem =
  | { kind: 'group'; db: number; pattern: string | null; keys: number; free: number; atExpiry: number }
  | { kind: 'command'; db: number; args: Buffer[]; guard: Guard; free: number };

interface KeyRow {
  db: number;
  key: Buffer;
  type: string;
  length: number;
  memory: number;
  expires_at: number | null;
  pattern: string | null;
}

/** Finds a complete snapshot by id or label (the newest complete one when neither is given). */
export function findSnapshot(db: Database.Database, ref: string | undefined): Snapshot {
  const cols = 'id, label, writer, ctime, repl_id AS replId';
  let row: Snapshot | undefined;
  if (ref === undefined) row = db.prepare(`SELECT ${cols} FROM snapshots WHERE status = 'complete' ORDER BY id DESC LIMIT 1`).get() as Snapshot | undefined;
  else if (/^\d+$/.test(ref)) row = db.prepare(`SELECT ${cols} FROM snapshots WHERE status = 'complete' AND id = ?`).get(Number(ref)) as Snapshot | undefined;
  else row = db.prepare(`SELECT ${cols} FROM snapshots WHERE status = 'complete' AND label = ? ORDER BY id DESC LIMIT 1`).get(ref) as Snapshot | undefined;
  if (!row) throw new UserError(ref === undefined ? 'the inventory holds no complete snapshot' : `no complete snapshot with id or label '${ref}'`);
  return row;
}

/**
 * The action's own condition on a key, and the bytes each key frees (SQL expressions over `keys`): `free` when the
 * command runs, `atExpiry` once a TTL the command sets or shortens runs out (expire, cap-ttl: within --ttl).
 */
function actionSql(o: PlanOptions, snap: Snapshot): { cond: string; free: string; atExpiry: string; cmds?: string } {
  switch (o.action) {
    case 'unlink':
      return { cond: '1', free: 'memory', atExpiry: '0' };
    case 'expire':
      return { cond: 'expires_at IS NULL', free: '0', atExpiry: 'memory' };
    case 'cap-ttl': {
      const base = snap.ctime !== null ? snap.ctime * 1000 : Date.now();
      return { cond: `expires_at IS NOT NULL AND expires_at > ${base + (o.ttl ?? 0) * 1000}`, free: '0', atExpiry: 'memory' };
    }
    case 'persist':
      return { cond: 'expires_at IS NOT NULL', free: '0', atExpiry: '0' };
    case 'hdel':
      // the named fields' share of the hash, as if its fields were of one size (the inventory holds no field sizes)
      return { cond: "type = 'hash'", free: `CAST(memory * MIN(${o.fields.length}, length) / MAX(length, 1) AS INTEGER)`, atExpiry: '0' };
    case 'trim':
      return { cond: `type IN ('list', 'zset') AND length > ${o.keep ?? 0}`, free: `CAST(memory * (length - ${o.keep ?? 0}) / length AS INTEGER)`,
        atExpiry: '0', cmds: `(length - ${o.keep ?? 0} + ${o.batch - 1}) / ${o.batch}` };
  }
}

function selection(o: PlanOptions, snap: Snapshot): { sql: string; free: string; atExpiry: string; cmds: string } {
  const a = actionSql(o, snap);
  const parts = [`k.snapshot_id = ${snap.id}`, `(${a.cond})`];
  if (o.where) parts.push(`(${o.where})`);
  if (o.ruleSql) parts.push(`(k.db, k.key) IN (SELECT r.db, r.key FROM (${o.ruleSql}) r WHERE r.snapshot_id = ${snap.id})`);
  return { sql: parts.join(' AND '), free: a.free, atExpiry: a.atExpiry, cmds: a.cmds ?? '1' };
}

/**
 * Rows of a query over the selection (the rule and --where) with `cond` in place of the action's own condition:
 * `what` is the select list, e.g. the count of the keys it left out, or their families.
 */
function selectWith(db: Database.Database, o: PlanOptions, snap: Snapshot, cond: string, what: string): unknown[] {
  const st = db.prepare(`SELECT ${what} FROM keys k WHERE ${selection({ ...o, action: 'unlink' }, snap).sql} AND (${cond})`);
  try {
    return o.ruleParams ? st.all(o.ruleParams) : st.all();
  } catch (err) {
    throw sqliteErrorFor(err, o);
  }
}

/** How many keys of the selection meet `cond` instead of the action's condition, and their memory. */
export function countWith(db: Database.Database, o: PlanOptions, snap: Snapshot, cond: string): { keys: number; memory: number } {
  return selectWith(db, o, snap, cond, 'COUNT(*) AS keys, COALESCE(SUM(k.memory), 0) AS memory')[0] as { keys: number; memory: number };
}

/** The families (patterns) of the keys of the selection that meet `cond` instead of the action's condition. */
export function familiesWith(db: Database.Database, o: PlanOptions, snap: Snapshot, cond: string): Array<string | null> {
  return (selectWith(db, o, snap, cond, 'DISTINCT k.pattern AS pattern') as Array<{ pattern: string | null }>).map((r) => r.pattern);
}

function sqlError(err: unknown, what: string): UserError {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new UserError(`${what}: ${msg}`);
}

export interface Totals {
  readonly keys: number;
  readonly commands: number;
  /** Bytes freed when the commands run. */
  readonly free: number;
  /** Bytes freed once the TTLs the plan sets run out. */
  readonly atExpiry: number;
  readonly groups: Map<string, { keys: number; free: number; atExpiry: number }>;
}

function groupKey(db: number, pattern: string | null): string {
  return `${db}\u0000${pattern ?? ''}`;
}

/** Counts the keys and bytes of the selection, per (db, pattern). */
export function planTotals(db: Database.Database, o: PlanOptions, snap: Snapshot): Totals {
  const s = selection(o, snap);
  let rows: Array<{ db: number; pattern: string | null; n: number; free: number; atExpiry: number; cmds: number }>;
  try {
    const st = db.prepare(`SELECT k.db AS db, k.pattern AS pattern, COUNT(*) AS n, COALESCE(SUM(${s.free}), 0) AS free,
      COALESCE(SUM(${s.atExpiry}), 0) AS atExpiry,
      SUM(${s.cmds}) AS cmds FROM keys k WHERE ${s.sql} GROUP BY k.db, k.pattern`);
    rows = (o.ruleParams ? st.all(o.ruleParams) : st.all()) as typeof rows;
  } catch (err) {
    throw sqliteErrorFor(err, o);
  }
  const groups = new Map<string, { keys: number; free: number; atExpiry: number }>();
  let keys = 0;
  let free = 0;
  let atExpiry = 0;
  let commands = 0;
  for (const r of rows) {
    commands += r.cmds;
    groups.set(groupKey(r.db, r.pattern), { keys: r.n, free: r.free, atExpiry: r.atExpiry });
    keys += r.n;
    free += r.free;
    atExpiry += r.atExpiry;
  }
  return { keys, commands, free, atExpiry, groups };
}

function sqliteErrorFor(err: unknown, o: PlanOptions): UserError {
  return sqlError(err, o.ruleSql ? 'the rule\'s query failed' : `--where ${JSON.stringify(o.where)} is not valid SQL over the keys table`);
}

function guardOf(r: KeyRow, len: number): Guard {
  const ttl = r.expires_at === null ? 'none' : 'set';
  return { type: r.type, ttl, expiresAt: r.expires_at, len: r.type === 'module' ? -1 : len, mem: r.memory };
}

/**
 * The TTL for one key: o.ttl spread by o.jitter over [from, 1] (from -1: +-jitter; 0: -jitter to 0), by a hash of
 * the key, so that the same inventory gives the same plan.
 */
function jittered(o: PlanOptions, key: Buffer, from: -1 | 0): number {
  const ttl = o.ttl ?? 0;
  if (!o.jitter) return ttl;
  const h = createHash('sha256').update(key).digest().readUInt32BE(0) / 0x100000000; // [0, 1)
  const u = from + h * (1 - from); // [from, 1)
  return Math.max(1, Math.round(ttl * (1 + (from === 0 ? -u : u) * o.jitter)));
}

function* commandsFor(r: KeyRow, o: PlanOptions): Generator<PlanItem> {
  const key = r.key;
  const cmd = (args: Array<string | Buffer>, len: number, free: number): PlanItem => ({
    kind: 'command', db: r.db, args: args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)), guard: guardOf(r, len), free,
  });
  switch (o.action) {
    case 'unlink':
      yield cmd(['UNLINK', key], r.length, r.memory);
      return;
    case 'expire':
      yield cmd(['EXPIRE', key, String(jittered(o, key, -1)), 'NX'], r.length, r.memory);
      return;
    case 'cap-ttl':
      yield cmd(['EXPIRE', key, String(jittered(o, key, 0)), 'LT'], r.length, 0);
      return;
    case 'persist':
      yield cmd(['PERSIST', key], r.length, 0);
      return;
    case 'hdel':
      yield cmd(['HDEL', key, ...o.fields], r.length, 0);
      return;
    case 'trim': {
      const keep = o.keep ?? 0;
      let cur = r.length;
      while (cur > keep) {
        const next = Math.max(keep, cur - o.batch);
        const free = Math.floor((r.memory * (cur - next)) / r.length);
        // Absolute forms, so that sending a line again (after a crash) changes nothing more.
        if (r.type === 'list') yield cmd(['LTRIM', key, '0', String(next - 1)], cur, free);
        else yield cmd(['ZREMRANGEBYRANK', key, '0', String(-(next + 1))], cur, free);
        cur = next;
      }
      return;
    }
  }
}

/** Streams the plan entries: a group entry before the keys of each (db, pattern), then their commands. */
export function* planItems(db: Database.Database, o: PlanOptions, snap: Snapshot, totals: Totals): Generator<PlanItem> {
  const s = selection(o, snap);
  let it: IterableIterator<unknown>;
  try {
    const st = db.prepare(`SELECT k.db AS db, k.key AS key, k.type AS type, k.length AS length, k.memory AS memory,
      k.expires_at AS expires_at, k.pattern AS pattern FROM keys k WHERE ${s.sql}
      ORDER BY k.db, k.pattern, k.key`);
    it = o.ruleParams ? st.iterate(o.ruleParams) : st.iterate();
  } catch (err) {
    throw sqliteErrorFor(err, o);
  }
  let current: string | null = null;
  for (const row of it) {
    const r = row as KeyRow;
    if (!Buffer.isBuffer(r.key)) r.key = Buffer.from(String(r.key), 'utf8'); // a key stored as TEXT
    const g = groupKey(r.db, r.pattern);
    if (g !== current) {
      current = g;
      const t = totals.groups.get(g) ?? { keys: 0, free: 0, atExpiry: 0 };
      yield { kind: 'group', db: r.db, pattern: r.pattern, keys: t.keys, free: t.free, atExpiry: t.atExpiry };
    }
    yield* commandsFor(r, o);
  }
}
