/**
 * The statements that make a Parquet dataset's tables appear under the inventory's names in each engine, for
 * `rdbscope rules --setup LOCATION`: DuckDB views over read_parquet, Spark temporary views over the parquet
 * source (partitions discovered from the snapshot_id=N folders), Trino external tables of the Hive connector
 * (notable_keys is a table of the dataset, like the others).
 */
import { join } from 'node:path';
import { sqlString } from '../export/duck.js';
import { PARTITIONED_TABLES, SNAPSHOTS_TABLE, type ColumnType, type ExportTable } from '../export/tables.js';
import type { Dialect } from './dialect.js';
import { duckdbSetupSql } from './duckdb.js';

const url = (base: string, ...parts: string[]): string => (/^[a-z][a-z0-9+.-]*:\/\//i.test(base) ? [base.replace(/\/+$/, ''), ...parts].join('/') : join(base, ...parts));

function sparkString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function trinoType(t: ColumnType): string {
  return t === 'BLOB' ? 'varbinary' : t === 'VARCHAR' ? 'varchar' : t === 'DOUBLE' ? 'double' : 'bigint';
}

function trinoTable(t: ExportTable, location: string, schema: string, partitioned: boolean): string {
  const cols = t.columns.map(([c, ty]) => `  "${c}" ${trinoType(ty)}`);
  if (partitioned) cols.push('  snapshot_id bigint');
  const props = [`external_location = ${sqlString(location)}`, "format = 'PARQUET'"];
  if (partitioned) props.push("partitioned_by = ARRAY['snapshot_id']");
  return `CREATE TABLE IF NOT EXISTS ${schema}.${t.name} (\n${cols.join(',\n')}\n) WITH (${props.join(', ')})`;
}

/** The setup statements for `dialect` over the dataset at `location` (a folder or an s3://, gs://, hdfs:// URL). */
export function setupSql(dialect: Exclude<Dialect, 'sqlite'>, location: string, opts: { trinoSchema?: string } = {}): string[] {
  if (dialect === 'duckdb') return duckdbSetupSql(location);
  if (dialect === 'spark') {
    const out = ['SET spark.sql.session.timeZone = UTC'];
    for (const t of PARTITIONED_TABLES) out.push(`CREATE OR REPLACE TEMPORARY VIEW ${t.name} USING parquet OPTIONS (path ${sparkString(url(location, t.name))})`);
    out.push(`CREATE OR REPLACE TEMPORARY VIEW snapshots USING parquet OPTIONS (path ${sparkString(url(location, 'snapshots.parquet'))})`);
    return out;
  }
  // Trino's Hive connector reads a table from a folder: the snapshots are read from snapshots/, the copy of
  // snapshots.parquet the export writes beside it.
  const schema = opts.trinoSchema ?? 'hive.rdbscope';
  const out: string[] = [`CREATE SCHEMA IF NOT EXISTS ${schema}`];
  for (const t of PARTITIONED_TABLES) {
    out.push(trinoTable(t, url(location, t.name), schema, true));
    out.push(`CALL ${schema.split('.')[0]}.system.sync_partition_metadata('${schema.split('.')[1] ?? 'rdbscope'}', '${t.name}', 'FULL')`);
  }
  out.push(trinoTable(SNAPSHOTS_TABLE, url(location, 'snapshots'), schema, false));
  out.push(`USE ${schema}`);
  return out;
}
