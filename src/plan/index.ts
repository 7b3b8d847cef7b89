/**
 * `rdbscope plan`: pick the snapshot, select keys (rule and/or --where), and write the plan file.
 */
import { openForRead } from '../inventory/db.js';
import { loadRules } from '../rules/engine.js';
import { UserError } from '../errors.js';
import type { Db } from '../inventory/db.js';
import { countWith, familiesWith, findSnapshot, planItems, planTotals, type PlanOptions, type Snapshot } from './build.js';
import type { Action } from './model.js';
import { ruleKeysSql } from '../rules/keys.js';
import { impliedAction } from './rule.js';
import { writePlan } from './write.js';

export interface MakePlanInput {
  readonly inventory: string;
  readonly snapshot: string | undefined;
  readonly rule: string | null;
  readonly where: string | null;
  readonly out: string;
  readonly action: Action | null;
  readonly ttl: number | null;
  readonly fields: string[];
  readonly keep: number | null;
  readonly batch: number;
  readonly resp: boolean;
  /** expire / cap-ttl: spread the TTLs over +-P % (undefined: 10 % for plans of over 1,000 keys, else none). */
  readonly jitter?: number | null;
}

/** Plans of more keys than this spread their TTLs by default. */
const JITTER_FROM_KEYS = 1000;
const DEFAULT_JITTER_PERCENT = 10;

export interface MakePlanResult {
  readonly out: string;
  readonly respOut: string | null;
  readonly snapshot: number;
  readonly rule: string | null;
  readonly action: Action;
  readonly keys: number;
  readonly commands: number;
  /** Bytes freed when the commands run, and once the TTLs the plan sets run out (estimated from the snapshot). */
  readonly bytesToFree: number;
  readonly bytesAtExpiry: number;
  /** What the user should know about the plan (keys left out, and why): printed on stderr. */
  readonly notes: string[];
}

/** `--fields a,b --fields c`: the field names, from both forms. */
export function splitFields(given: readonly string[]): string[] {
  return given.flatMap((f) => f.split(',')).filter((f) => f !== '');
}

/**
 * Refuses a field that no hash of the selected families has, where the inventory knows their field names
 * (hash_fields: families of hashes of up to 128 fields). Families it knows nothing of leave every name possible.
 */
function checkFields(db: Db, snap: Snapshot, families: Array<string | null>, fields: readonly string[]): void {
  const known = new Map<string, Set<string>>();
  const q = db.prepare('SELECT field FROM hash_fields WHERE snapshot_id = ? AND pattern = ?').pluck();
  for (const fam of families) {
    if (fam === null) return; // keys without a family: nothing is known of their fields
    const names = (q.all(snap.id, fam) as Buffer[]).map((b) => Buffer.from(b).toString('latin1'));
    if (names.length === 0) return; // a family whose field names were not counted
    known.set(fam, new Set(names));
  }
  for (const f of fields) {
    const bytes = Buffer.from(f, 'utf8').toString('latin1');
    if ([...known.values()].some((names) => names.has(bytes))) continue;
    const shown = [...known].map(([fam, names]) => `${fam}: ${[...names].slice(0, 12).map((n) => JSON.stringify(Buffer.from(n, 'latin1').toString('utf8'))).join(', ')}${names.size > 12 ? ', ...' : ''}`).join('; ');
    throw new UserError(`--fields: no hash of the selected keys has a field ${JSON.stringify(f)} (their fields: ${shown}); give several as --fields a,b or --fields a --fields b`);
  }
}

function ruleSql(id: string): string {
  let rules;
  try {
    rules = loadRules();
  } catch (err) {
    throw new UserError((err as Error).message.split('\n')[0]!);
  }
  const rule = rules.find((r) => r.id === id);
  if (!rule) throw new UserError(`no rule with id '${id}' (known: ${rules.map((r) => r.id).join(', ')})`);
  return ruleKeysSql(id, (rule.scan ?? rule.affected).sql);
}

function checkOptions(i: MakePlanInput, action: Action): void {
  const posInt = (v: number | null): boolean => v !== null && Number.isInteger(v) && v > 0;
  if ((action === 'expire' || action === 'cap-ttl') && !posInt(i.ttl)) throw new UserError(`--action ${action} needs --ttl SECONDS (a positive integer)`);
  if (action === 'hdel' && i.fields.length === 0) throw new UserError('--action hdel needs --fields (the hash fields to delete)');
  if (action === 'trim' && (i.keep === null || !Number.isInteger(i.keep) || i.keep < 0)) throw new UserError('--action trim needs --keep N (elements to keep, 0 or more)');
  if (!posInt(i.batch)) throw new UserError('--batch must be a positive integer');
  if (i.jitter !== undefined && i.jitter !== null && !(Number.isFinite(i.jitter) && i.jitter >= 0 && i.jitter < 100)) {
    throw new UserError(`--jitter ${i.jitter}: expected a percentage from 0 to under 100`);
  }
}

function paramsText(i: MakePlanInput, action: Action, jitter: number): string {
  const spread = (how: string): string => (jitter > 0 ? `, the TTLs spread ${how} (--jitter ${jitter}), so that the keys do not all expire at once` : ', one TTL for all (--jitter 0)');
  switch (action) {
    case 'expire':
      return `EXPIRE ${i.ttl} NX on keys without a TTL${spread(`over +-${jitter} %`)}`;
    case 'cap-ttl':
      return `EXPIRE ${i.ttl} LT on keys whose TTL is longer${spread(`down to ${100 - jitter} % of the cap`)}`;
    case 'hdel':
      return `fields ${i.fields.map((f) => JSON.stringify(f)).join(', ')}`;
    case 'trim':
      return `keep ${i.keep} elements (list head / highest-scored zset members), ${i.batch} per command`;
    case 'unlink':
      return 'frees in the background, never a blocking DEL';
    case 'persist':
      return 'removes the TTL';
  }
}

/**
 * duplicate-families reports both families of each pair: a plan must name the side to act on (--where), and may
 * not select both sides of a pair (that would delete both copies of the data).
 */
function checkOneSide(db: Db, o: PlanOptions, snap: Snapshot, where: string | null): void {
  if (!where) {
    throw new UserError("rule 'duplicate-families': name the family whose shared keys to delete, e.g. --where \"pattern = 'sess:{uuid}'\" (rdbscope recommend shows each pair and its older-looking side)");
  }
  const picked = new Set(familiesWith(db, o, snap, '1').filter((p): p is string => p !== null));
  const both = (db.prepare('SELECT pattern, other FROM duplicate_families WHERE snapshot_id = ?').all(snap.id) as Array<{ pattern: string; other: string }>)
    .find((d) => picked.has(d.pattern) && picked.has(d.other));
  if (both) {
    throw new UserError(`rule 'duplicate-families': --where selects both ${both.pattern} and ${both.other}, the two copies of the same data; name one side`);
  }
}

/** Writes the plan and returns its summary. */
export function makePlan(given: MakePlanInput): MakePlanResult {
  const i: MakePlanInput = { ...given, fields: splitFields(given.fields) };
  if (!i.rule && !i.where) throw new UserError('name the keys: --rule ID and/or --where SQL');
  const rsql = i.rule ? ruleSql(i.rule) : null; // first, so that an unknown rule id is what gets reported
  const action = i.action ?? (i.rule ? impliedAction(i.rule) : null);
  if (!action) throw new UserError(i.rule ? `rule '${i.rule}' implies no action: choose one with --action` : 'choose what to do with --action');
  checkOptions(i, action);
  const db = openForRead(i.inventory);
  try {
    const snap = findSnapshot(db, i.snapshot);
    const o: PlanOptions = {
      action, where: i.where, ruleSql: rsql, ruleParams: rsql ? { snapshot: snap.id } : undefined, ttl: i.ttl,
      fields: i.fields.map((f) => Buffer.from(f, 'utf8')), keep: i.keep, batch: i.batch,
    };
    const notes: string[] = [];
    if (i.rule === 'duplicate-families') checkOneSide(db, o, snap, i.where);
    if (action === 'hdel') checkFields(db, snap, familiesWith(db, o, snap, "k.type = 'hash'"), i.fields);
    if (action === 'cap-ttl') {
      const none = countWith(db, o, snap, 'k.expires_at IS NULL');
      if (none.keys > 0) {
        notes.push(`${none.keys} selected keys (${none.memory} bytes) have no TTL and were left out: cap-ttl only shortens TTLs; ` +
          'give them one with a second plan, --action expire');
      }
    }
    const totals = planTotals(db, o, snap);
    const ttlAction = action === 'expire' || action === 'cap-ttl';
    const jitter = !ttlAction ? 0 : (i.jitter ?? (totals.keys > JITTER_FROM_KEYS ? DEFAULT_JITTER_PERCENT : 0));
    const respOut = i.resp ? `${i.out}.resp` : null;
    const written = writePlan(
      { snapshot: snap, inventory: i.inventory, rule: i.rule, where: i.where, action, params: paramsText(i, action, jitter), out: i.out, respOut },
      totals, planItems(db, { ...o, jitter: jitter / 100 }, snap, totals),
    );
    return { out: i.out, respOut, snapshot: snap.id, rule: i.rule, action, keys: totals.keys, commands: written, bytesToFree: totals.free, bytesAtExpiry: totals.atExpiry, notes };
  } finally {
    db.close();
  }
}
