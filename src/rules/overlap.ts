/**
 * Savings of several findings, told apart by when they are freed and counted once a key. Findings overlap: a cold
 * key of a family that also lacks a TTL is in cold-keys and in ttl-session, and deleting it frees its memory once.
 * Every finding's savings are spread over its affected keys in proportion to their memory (the key lists come from
 * the rule's SQL as for `plan --rule`, see keys.ts); each key then counts once, for the first of `now`, `expiry`,
 * `rewrite` that frees it (a key deleted now frees nothing at expiry), with the largest share within that one.
 * One query lists every finding's keys and SQLite groups them (in its temporary b-tree, not in JS), so memory
 * stays bounded however many keys there are.
 */
import { UserError } from '../errors.js';
import type { Finding, RuleResults } from './engine.js';
import { FREES, type Frees, type Rule } from './format.js';
import { ruleUnitsSql } from './keys.js';
import type { Db } from './snapshot.js';

export type SavingsSplit = Record<Frees, number>;

/** A key a finding's rule selects (see {@link listFindingKeys}), with the key_groups row it belongs to. */
export interface FindingKey {
  readonly db: number;
  readonly key: Uint8Array | string;
  readonly pattern: string;
  readonly memory: number;
  readonly gid: number | null;
}

/** At most this many keys of one finding are listed ahead; past it, combinedSavings lists them in SQL. */
export const LISTED_KEYS_MAX = 100_000;

/**
 * The keys a finding's rule selects in the families where it saves something, listed by the thread that ran the
 * rule (see parallel.ts) while the other rules run, so that combinedSavings need not scan for them afterwards on
 * one thread. Null when the rule's keys cannot be listed, or more than {@link LISTED_KEYS_MAX} would be.
 * An empty list: the rule selects summaries (key_groups rows), not keys.
 */
export function listFindingKeys(db: Db, rule: Rule, finding: Finding, snapshotId: number): FindingKey[] | null {
  let parts: ReturnType<typeof ruleUnitsSql>;
  try {
    parts = ruleUnitsSql(rule.id, rule.affected.sql);
  } catch (e) {
    if (e instanceof UserError) return null;
    throw e;
  }
  const patterns = JSON.stringify([...new Set(finding.rows.filter((r) => r.savings > 0).map((r) => r.pattern))]);
  const out: FindingKey[] = [];
  for (const part of parts) {
    if (part.level !== 'key') continue;
    const sql = `SELECT db, key, pattern, memory, gid FROM (${part.sql}) WHERE pattern IN (SELECT value FROM json_each(:rdbscope_patterns))
      LIMIT ${LISTED_KEYS_MAX + 1 - out.length}`;
    for (const r of db.prepare(sql).iterate({ snapshot: snapshotId, rdbscope_patterns: patterns }) as Iterable<FindingKey>) out.push(r);
    if (out.length > LISTED_KEYS_MAX) return null;
  }
  return out;
}

export interface CombinedSavings extends SavingsSplit {
  /** now + expiry + rewrite. */
  readonly total: number;
  /**
   * Ids of findings whose keys could not be listed in a family that another finding also reports: their savings
   * there are added as they are (the total may count those keys twice).
   */
  readonly notDeduplicated: string[];
}

/** A key's best share among the key-level findings (bucket: its index in FREES), with its key_groups row. */
export interface KeyShare {
  readonly gid: number | null;
  readonly memory: number;
  readonly bucket: number;
  readonly share: number;
}

/**
 * Counts a key's best key-level share into `out` against its group's share (`groups`: the best group-level share
 * of each key_groups row, already counted for all of the row's keys): the larger counts; between equal ones, the
 * earlier of now, expiry, rewrite. Shared by the SQLite and the DuckDB engines.
 */
export function countKeyShare(out: SavingsSplit, groups: ReadonlyMap<number, { bucket: number; ratio: number }>, r: KeyShare): void {
  const g = r.gid === null ? undefined : groups.get(r.gid);
  const base = g ? g.ratio * r.memory : 0;
  if (g && (r.share < base || (r.share === base && r.bucket >= g.bucket))) return;
  if (!g && r.share <= 0) return;
  out[FREES[r.bucket]!] += r.share;
  if (g) out[FREES[g.bucket]!] -= base;
}

/** Each finding's savings summed by when they are freed (overlaps counted as often as they occur). */
export function splitSavings(findings: readonly Finding[]): SavingsSplit {
  const out: SavingsSplit = { now: 0, expiry: 0, rewrite: 0 };
  for (const f of findings) out[f.frees] += f.savings;
  return out;
}

/** A rule's SQL split into the parts that select key_groups rows and the parts that select keys (keys.ts). */
export type RuleUnits = ReturnType<typeof ruleUnitsSql>;

/** What one finding adds to the savings counted once a key, in the families that several findings report. */
export interface FindingShare {
  readonly finding: Finding;
  /** Its index in FREES. */
  readonly bucket: number;
  /** Families whose every key the finding's row holds: its share of each byte of their key_groups rows. */
  readonly whole: Readonly<Record<string, number>>;
  /** Families whose keys its rule's SQL selects (`units`): its share of each byte of those keys. */
  readonly ratios: Readonly<Record<string, number>>;
  readonly units: RuleUnits | null;
}

export interface SavingsPlan {
  /** The savings counted already: families one finding alone reports, and rows that cannot be split. */
  readonly out: SavingsSplit;
  readonly notDeduplicated: string[];
  readonly shares: FindingShare[];
}

/**
 * The part of counting each key once that does not depend on the engine (SQLite below, DuckDB in duckdb.ts):
 * which finding rows count as they are, and what the others select, by whole families (`family`: keys and memory
 * of each family of the snapshot, from key_groups) or through their rule's SQL. The engine then lists those groups
 * and keys and counts each with its best share (countKeyShare).
 */
export function planCombinedSavings(
  rules: readonly Rule[], results: RuleResults, family: ReadonlyMap<string, { keys: number; memory: number }>,
): SavingsPlan {
  const out: SavingsSplit = { now: 0, expiry: 0, rewrite: 0 };
  const notDeduplicated: string[] = [];
  const byId = new Map(rules.map((r) => [r.id, r]));
  // How many findings save something in each family.
  const reporters = new Map<string, number>();
  for (const f of results.findings) for (const r of f.rows) if (r.savings > 0) reporters.set(r.pattern, (reporters.get(r.pattern) ?? 0) + 1);
  const shares: FindingShare[] = [];
  for (const f of results.findings) {
    if (f.savings <= 0) continue;
    let u: RuleUnits | null = null;
    const rule = byId.get(f.id);
    try {
      // Not @scan: it lists keys from a scan of every key, which is what this avoids.
      if (rule) u = ruleUnitsSql(f.id, rule.affected.sql);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
    // The rule's total may differ from the sum of its rows (an @savings section): scale the rows to it.
    const rowSum = f.rows.reduce((s, r) => s + r.savings, 0);
    if (rowSum === 0) {
      out[f.frees] += f.savings;
      continue;
    }
    const ratios: Record<string, number> = {};
    const whole: Record<string, number> = {};
    for (const r of f.rows) {
      if (r.savings <= 0) continue;
      const share = (r.savings * f.savings) / rowSum;
      const fam = family.get(r.pattern);
      if ((reporters.get(r.pattern) ?? 0) < 2 || r.memory <= 0) out[f.frees] += share; // counted once already
      // A row that holds all of its family's keys selects all of its key_groups rows, whatever the rule's SQL.
      else if (fam && fam.keys === r.keys && fam.memory === r.memory) whole[r.pattern] = share / r.memory;
      else if (u) ratios[r.pattern] = share / r.memory;
      else {
        out[f.frees] += share;
        if (!notDeduplicated.includes(f.id)) notDeduplicated.push(f.id);
      }
    }
    shares.push({ finding: f, bucket: FREES.indexOf(f.frees), whole, ratios, units: u });
  }
  return { out, notDeduplicated, shares };
}

/** The counted savings rounded to bytes, with their total. */
export function combinedTotal(out: SavingsSplit, notDeduplicated: string[]): CombinedSavings {
  for (const k of FREES) out[k] = Math.max(0, Math.round(out[k]));
  return { ...out, total: out.now + out.expiry + out.rewrite, notDeduplicated };
}

/**
 * The savings of `results` (rules run on `snapshotId` of `db`) with every key counted once. Keys of two families
 * never overlap, so a family that one finding alone reports counts as it is. In a family that several report, a
 * rule over the summaries selects whole key_groups rows (each of its keys gets the finding's share of its memory)
 * and a rule over keys selects keys (few: the built-in ones read notable_keys); each key counts with its largest
 * share. Only those groups and keys are listed, so this takes milliseconds where a scan of every key would take
 * seconds. `listed`: the keys of findings (by rule id) listed ahead by {@link listFindingKeys}; when every finding
 * whose keys are needed has them, they are counted here instead of being listed again in SQL.
 */
export function combinedSavings(
  db: Db, rules: readonly Rule[], results: RuleResults, snapshotId: number, listed?: ReadonlyMap<string, FindingKey[] | null>,
): CombinedSavings {
  const family = new Map<string, { keys: number; memory: number }>();
  for (const r of db.prepare(`SELECT COALESCE(pattern, '(no pattern)') AS p, SUM(keys) AS keys, SUM(memory) AS memory
      FROM key_groups WHERE snapshot_id = ? GROUP BY p`).all(snapshotId) as Array<{ p: string; keys: number; memory: number }>) {
    family.set(r.p, r);
  }
  const { out, notDeduplicated, shares } = planCombinedSavings(rules, results, family);
  const groupParts: string[] = [];
  const keyParts: string[] = [];
  // The same key parts, from keys listed ahead: [bucket, ratio by pattern, keys].
  const listedParts: Array<[number, Readonly<Record<string, number>>, FindingKey[]]> = [];
  let allListed = true;
  const params: Record<string, number | string> = { snapshot: snapshotId };
  const param = (v: Readonly<Record<string, number>>): string => {
    const name = `ratios${Object.keys(params).length}`;
    params[name] = JSON.stringify(v);
    return name;
  };
  for (const { finding: f, bucket: b, whole, ratios, units: u } of shares) {
    if (Object.keys(whole).length > 0) {
      groupParts.push(`SELECT g.rowid AS gid, ${b} AS bucket, j.value AS ratio FROM key_groups g
        JOIN json_each(:${param(whole)}) j ON j.key = COALESCE(g.pattern, '(no pattern)') WHERE g.snapshot_id = :snapshot`);
    }
    if (!u || Object.keys(ratios).length === 0) continue;
    const p = param(ratios);
    const ahead = listed?.get(f.id);
    if (ahead) listedParts.push([b, ratios, ahead]);
    for (const part of u) {
      if (part.level === 'key' && !ahead) allListed = false;
      if (part.level === 'group') groupParts.push(`SELECT u.gid AS gid, ${b} AS bucket, j.value AS ratio FROM (${part.sql}) u JOIN json_each(:${p}) j ON j.key = u.pattern`);
      else keyParts.push(`SELECT u.db AS db, u.key AS key, u.gid AS gid, u.memory AS memory, ${b} AS bucket, u.memory * j.value AS share
        FROM (${part.sql}) u JOIN json_each(:${p}) j ON j.key = u.pattern`);
    }
  }
  // Within the best of several: the largest share; between equal ones, the earliest of now, expiry, rewrite.
  // SQLite takes the bare columns of a MIN() aggregate from the row that gives the minimum.
  const groups = new Map<number, { bucket: number; ratio: number }>();
  if (groupParts.length > 0) {
    const sql = `SELECT b.gid AS gid, b.bucket AS bucket, b.ratio AS ratio, g.memory AS memory FROM (
        SELECT gid, MIN(bucket * 1e-9 - ratio) AS rank, bucket, ratio FROM (${groupParts.join('\n UNION ALL\n')}) GROUP BY gid
      ) b JOIN key_groups g ON g.rowid = b.gid`;
    for (const r of db.prepare(sql).all(params) as Array<{ gid: number; bucket: number; ratio: number; memory: number }>) {
      groups.set(r.gid, r);
      out[FREES[r.bucket]!] += r.ratio * r.memory;
    }
  }
  const count = (r: KeyShare): void => countKeyShare(out, groups, r);
  if (keyParts.length > 0 && allListed) {
    // What the query below does, over the keys listed ahead (few: the built-in rules list keys of notable_keys).
    const best = new Map<string, KeyShare>();
    for (const [bucket, ratios, keys] of listedParts) {
      for (const k of keys) {
        const ratio = ratios[k.pattern];
        if (ratio === undefined) continue;
        const share = k.memory * ratio;
        const id = `${k.db}:${typeof k.key === 'string' ? `s${k.key}` : `b${Buffer.from(k.key.buffer, k.key.byteOffset, k.key.byteLength).toString('latin1')}`}`;
        const was = best.get(id);
        if (!was || bucket * 1e-9 - share < was.bucket * 1e-9 - was.share) best.set(id, { gid: k.gid, memory: k.memory, bucket, share });
      }
    }
    for (const r of best.values()) count(r);
  } else if (keyParts.length > 0) {
    const sql = `SELECT gid, memory, MIN(bucket * 1e-9 - share) AS rank, bucket, share FROM (${keyParts.join('\n UNION ALL\n')})
      GROUP BY db, key`;
    for (const r of db.prepare(sql).iterate(params) as Iterable<{ gid: number | null; memory: number; bucket: number; share: number }>) {
      count(r);
    }
  }
  return combinedTotal(out, notDeduplicated);
}
