/**
 * The rules on embedded DuckDB over a Parquet dataset (rdbscope export / index --format parquet), for
 * `recommend --parquet DIR`: the dataset's tables under the inventory's names (views over its Parquet files;
 * key_groups loaded as a table, small, so that the savings counted once a key can name its rows), each rule's
 * SQL through the one translation of dialect.ts, findings built as on SQLite (engine.ts) and the savings counted
 * once a key as overlap.ts does on SQLite.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../errors.js';
import { openDuck, sqlString, type Duck } from '../export/duck.js';
import { PARTITIONED_TABLES } from '../export/tables.js';
import { translateSql } from './dialect.js';
import { num, outcomeOf, rankOutcomes, type RuleOutcome, type RuleResults } from './engine.js';
import { FREES, RuleError, type Rule, type RuleSection } from './format.js';
import { combinedTotal, countKeyShare, planCombinedSavings, type CombinedSavings } from './overlap.js';
import type { SnapshotRow } from './snapshot.js';

export interface Dataset {
  readonly dir: string;
  readonly duck: Duck;
  close(): void;
}

/** The statements that make a dataset's tables appear under the inventory's names in DuckDB. */
export function duckdbSetupSql(dir: string, opts: { keyGroupsTable?: boolean } = {}): string[] {
  const glob = (t: string): string => sqlString(join(dir, t, '*', '*.parquet'));
  const out = ['SET integer_division = true'];
  for (const t of PARTITIONED_TABLES) {
    const src = `SELECT * FROM read_parquet(${glob(t.name)}, hive_partitioning = true, union_by_name = true)`;
    if (t.name === 'key_groups' && opts.keyGroupsTable) {
      // In file order, like the inventory's rows; a table so that rowid names a row.
      out.push(`CREATE TABLE key_groups AS SELECT * EXCLUDE (file_row_number, filename) FROM read_parquet(${glob(t.name)}, hive_partitioning = true, union_by_name = true, filename = true, file_row_number = true) ORDER BY snapshot_id, filename, file_row_number`);
    } else out.push(`CREATE VIEW ${t.name} AS ${src}`);
  }
  out.push(`CREATE VIEW snapshots AS SELECT * FROM read_parquet(${sqlString(join(dir, 'snapshots.parquet'))})`);
  out.push('CREATE VIEW complete_keys AS SELECT * FROM keys');
  return out;
}

/** Opens the dataset at `dir` in a new embedded DuckDB; a folder that is not one is a one-line error. */
export async function openDataset(dir: string, opts: { memoryLimit?: string } = {}): Promise<Dataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: no such dataset folder`);
  if (!existsSync(join(dir, 'snapshots.parquet'))) {
    throw new UserError(`${dir}: not an rdbscope Parquet dataset (no snapshots.parquet; write one with rdbscope export or index --format parquet)`);
  }
  for (const t of PARTITIONED_TABLES) {
    if (!existsSync(join(dir, t.name))) throw new UserError(`${dir}: not a complete rdbscope Parquet dataset (no ${t.name}/ folder)`);
  }
  // One thread: DuckDB then aggregates rows in file order, as SQLite does in table order (group_concat lists
  // come out in the same order); the rules read summaries and notable keys, which take milliseconds.
  const duck = await openDuck({ memoryLimit: opts.memoryLimit ?? '1GB', threads: 1 });
  try {
    for (const s of duckdbSetupSql(dir, { keyGroupsTable: true })) await duck.conn.run(s);
  } catch (e) {
    duck.close();
    throw new UserError(`${dir}: cannot read the dataset (${(e as Error).message.split('\n')[0]})`);
  }
  return { dir, duck, close: () => duck.close() };
}

/** Plain JavaScript values of a DuckDB row: BLOBs as bytes, decimals as numbers. */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if ('bytes' in v && (v as { bytes: unknown }).bytes instanceof Uint8Array) return (v as { bytes: Uint8Array }).bytes;
  if ('toDouble' in v && typeof (v as { toDouble: unknown }).toDouble === 'function') return (v as { toDouble(): number }).toDouble();
  return String(v);
}

async function query(conn: DuckDBConnection, sql: string): Promise<Array<Record<string, unknown>>> {
  const r = await conn.runAndReadAll(sql);
  const names = r.columnNames();
  return r.getRows().map((row) => Object.fromEntries(row.map((v, i) => [names[i]!, plain(v)])));
}

/** The snapshot named by `sel` (id or label; default the newest), from the dataset's snapshots. */
export async function resolveDatasetSnapshot(ds: Dataset, sel?: string): Promise<SnapshotRow> {
  const cols = 'id, label, source, file_size, magic, rdb_version, writer, ctime, used_mem, memory_model, status, key_count, memory_total, checksum';
  const norm = (r: Record<string, unknown>): SnapshotRow => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) as unknown as SnapshotRow;
  let rows: Array<Record<string, unknown>>;
  if (sel === undefined || sel === '') rows = await query(ds.duck.conn, `SELECT ${cols} FROM snapshots WHERE status = 'complete' ORDER BY id DESC LIMIT 1`);
  else {
    rows = /^\d+$/.test(sel) ? await query(ds.duck.conn, `SELECT ${cols} FROM snapshots WHERE id = ${Number(sel)}`) : [];
    if (rows.length === 0) rows = await query(ds.duck.conn, `SELECT ${cols} FROM snapshots WHERE label = ${sqlString(sel)} ORDER BY id DESC LIMIT 1`);
  }
  if (rows.length === 0) {
    const known = await query(ds.duck.conn, 'SELECT id, label FROM snapshots ORDER BY id');
    const list = known.map((k) => (k.label ? `${k.id} (${k.label})` : String(k.id))).join(', ') || 'none';
    throw new UserError(sel ? `${ds.dir}: no snapshot with id or label '${sel}' (snapshots: ${list})` : `${ds.dir}: the dataset holds no snapshot`);
  }
  return norm(rows[0]!);
}

async function section(ds: Dataset, rule: Rule, s: RuleSection, name: string, sql: string, snapshotId: number): Promise<Array<Record<string, unknown>>> {
  try {
    return await query(ds.duck.conn, translateSql(sql, 'duckdb', { snapshot: snapshotId }));
  } catch (e) {
    throw new RuleError(rule.file, s.line, `@${name} (on DuckDB): ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Runs one rule on the dataset, as runCompiledRule does on SQLite. */
export async function runRuleOnDataset(ds: Dataset, rule: Rule, snapshotId: number): Promise<RuleOutcome> {
  if (rule.skip) {
    const r = await section(ds, rule, rule.skip, 'skip', rule.skip.sql, snapshotId);
    const reason = r[0] ? Object.values(r[0])[0] : undefined;
    if (reason !== null && reason !== undefined && reason !== 0 && reason !== 0n && reason !== '') {
      return { kind: 'skipped', skipped: { id: rule.id, title: rule.title, reason: String(reason) } };
    }
  }
  const raw = await section(ds, rule, rule.affected, 'affected', rule.affected.sql, snapshotId);
  let total: number | null = null;
  if (rule.savings && raw.length > 0) {
    const r = await section(ds, rule, rule.savings, 'savings', `WITH affected AS (\n${rule.affected.sql}\n)\n${rule.savings.sql}`, snapshotId);
    total = num(r[0]?.savings);
  }
  return outcomeOf(rule, raw, () => total);
}

/** Runs `rules` for `snapshotId` on the dataset: findings ranked and savings counted once a key, as on SQLite. */
export async function runRulesOnDataset(ds: Dataset, rules: readonly Rule[], snapshotId: number): Promise<RuleResults> {
  const outcomes: RuleOutcome[] = [];
  for (const r of rules) outcomes.push(await runRuleOnDataset(ds, r, snapshotId));
  const results = rankOutcomes(outcomes);
  return { ...results, combined: await combinedSavingsOnDataset(ds, rules, results, snapshotId) };
}

/** overlap.ts's combinedSavings, on DuckDB: the same plan (planCombinedSavings), its groups and keys listed here. */
async function combinedSavingsOnDataset(ds: Dataset, rules: readonly Rule[], results: RuleResults, snapshotId: number): Promise<CombinedSavings> {
  const conn = ds.duck.conn;
  const family = new Map<string, { keys: number; memory: number }>();
  for (const r of await query(conn, `SELECT COALESCE(pattern, '(no pattern)') AS p, SUM(keys) AS keys, SUM(memory) AS memory
      FROM key_groups WHERE snapshot_id = ${snapshotId} GROUP BY p`)) {
    family.set(String(r.p), { keys: Number(r.keys), memory: Number(r.memory) });
  }
  const { out, notDeduplicated, shares } = planCombinedSavings(rules, results, family);
  const groupParts: string[] = [];
  const keyParts: string[] = [];
  const ratioTable = (v: Readonly<Record<string, number>>): string => `(SELECT key, CAST(value AS DOUBLE) AS value FROM json_each(${sqlString(JSON.stringify(v))}))`;
  const tr = (sql: string): string => translateSql(sql, 'duckdb', { snapshot: snapshotId });
  for (const { bucket: b, whole, ratios, units: u } of shares) {
    if (Object.keys(whole).length > 0) {
      groupParts.push(`SELECT g.rowid AS gid, ${b} AS bucket, j.value AS ratio FROM key_groups g
        JOIN ${ratioTable(whole)} j ON j.key = COALESCE(g.pattern, '(no pattern)') WHERE g.snapshot_id = ${snapshotId}`);
    }
    if (!u || Object.keys(ratios).length === 0) continue;
    for (const part of u) {
      if (part.level === 'group') groupParts.push(`SELECT u.gid AS gid, ${b} AS bucket, j.value AS ratio FROM (${tr(part.sql)}) u JOIN ${ratioTable(ratios)} j ON j.key = u.pattern`);
      else keyParts.push(`SELECT u.db AS db, u.key AS key, u.gid AS gid, u.memory AS memory, ${b} AS bucket, u.memory * j.value AS share
        FROM (${tr(part.sql)}) u JOIN ${ratioTable(ratios)} j ON j.key = u.pattern`);
    }
  }
  // The best of several: the largest share; between equal ones, the earliest of now, expiry, rewrite.
  const groups = new Map<number, { bucket: number; ratio: number }>();
  if (groupParts.length > 0) {
    const sql = `SELECT b.gid AS gid, b.bucket AS bucket, b.ratio AS ratio, g.memory AS memory FROM (
        SELECT gid, arg_min(bucket, bucket * 1e-9 - ratio) AS bucket, arg_min(ratio, bucket * 1e-9 - ratio) AS ratio
        FROM (${groupParts.join('\n UNION ALL\n')}) GROUP BY gid
      ) b JOIN key_groups g ON g.rowid = b.gid`;
    for (const r of await query(conn, sql)) {
      const g = { bucket: Number(r.bucket), ratio: Number(r.ratio) };
      groups.set(Number(r.gid), g);
      out[FREES[g.bucket]!] += g.ratio * Number(r.memory);
    }
  }
  if (keyParts.length > 0) {
    const sql = `SELECT arg_min(gid, bucket * 1e-9 - share) AS gid, arg_min(memory, bucket * 1e-9 - share) AS memory,
        arg_min(bucket, bucket * 1e-9 - share) AS bucket, arg_min(share, bucket * 1e-9 - share) AS share
      FROM (${keyParts.join('\n UNION ALL\n')}) GROUP BY db, key`;
    for (const r of await query(conn, sql)) {
      countKeyShare(out, groups, { gid: r.gid === null ? null : Number(r.gid), memory: Number(r.memory), bucket: Number(r.bucket), share: Number(r.share) });
    }
  }
  return combinedTotal(out, notDeduplicated);
}
