/**
 * `rdbscope plan`: pick the snapshot, select keys (rule and/or --where), and write the plan file.
 */
import { openForRead } from '../inventory/db.js';
import { loadRules } from '../rules/engine.js';
import { UserError } from '../errors.js';
import { findSnapshot, planItems, planTotals, type PlanOptions } from './build.js';
import type { Action } from './model.js';
import { impliedAction, ruleKeysSql } from './rule.js';
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
}

export interface MakePlanResult {
  readonly out: string;
  readonly respOut: string | null;
  readonly snapshot: number;
  readonly rule: string | null;
  readonly action: Action;
  readonly keys: number;
  readonly commands: number;
  readonly bytesToFree: number;
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
}

function paramsText(i: MakePlanInput, action: Action): string {
  switch (action) {
    case 'expire':
      return `EXPIRE ${i.ttl} NX on keys without a TTL`;
    case 'cap-ttl':
      return `EXPIRE ${i.ttl} LT on keys whose TTL is longer`;
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

/** Writes the plan and returns its summary. */
export function makePlan(i: MakePlanInput): MakePlanResult {
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
    const totals = planTotals(db, o, snap);
    const respOut = i.resp ? `${i.out}.resp` : null;
    const written = writePlan(
      { snapshot: snap, inventory: i.inventory, rule: i.rule, where: i.where, action, params: paramsText(i, action), out: i.out, respOut },
      totals, planItems(db, o, snap, totals),
    );
    return { out: i.out, respOut, snapshot: snap.id, rule: i.rule, action, keys: totals.keys, commands: written, bytesToFree: totals.free };
  } finally {
    db.close();
  }
}
