/**
 * Embedded DuckDB (@duckdb/node-api): the engine that writes Parquet (zstd or snappy, row groups, hive
 * partitions) and that runs the rules over a Parquet dataset. One in-memory database per use, with a memory limit
 * and a spill folder, so that what a query holds stays bounded whatever the dataset's size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';

export interface Duck {
  readonly conn: DuckDBConnection;
  close(): void;
}

export interface DuckOptions {
  /** DuckDB's memory_limit (default '1GB'). */
  readonly memoryLimit?: string;
  /** Threads DuckDB may use (default: its own choice, the machine's cores). */
  readonly threads?: number;
}

/** A new in-memory DuckDB with a memory limit and a private spill folder (removed on close). */
export async function openDuck(opts: DuckOptions = {}): Promise<Duck> {
  const spill = mkdtempSync(join(tmpdir(), 'rdbscope-duckdb-'));
  const config: Record<string, string> = {
    memory_limit: opts.memoryLimit ?? '1GB',
    temp_directory: spill,
    // No extension is ever downloaded: everything used here is built in.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
  if (opts.threads !== undefined) config.threads = String(opts.threads);
  // Loaded when first used: the native library costs every other command startup time and resident memory.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', config);
  const conn = await instance.connect();
  return {
    conn,
    close(): void {
      conn.closeSync();
      instance.closeSync();
      rmSync(spill, { recursive: true, force: true });
    },
  };
}

/** An SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** An SQL identifier. */
export function sqlName(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
