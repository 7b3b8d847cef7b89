/** `rdbscope query`: one read-only SQL statement against an inventory, streamed to an output format. */
import type Database from 'better-sqlite3';
import { UserError } from '../errors.js';
import { openForRead } from './db.js';
import { makeSink, type Cell, type Format } from './format.js';

/** `name=value` pairs as named parameters: integers and decimals as numbers, anything else as text. */
export function parseParams(pairs: string[]): Record<string, string | number | bigint> {
  const out: Record<string, string | number | bigint> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UserError(`--param ${p}: expected name=value`);
    const name = p.slice(0, eq).replace(/^[:@$]/, '');
    const raw = p.slice(eq + 1);
    if (/^-?\d+$/.test(raw)) {
      const b = BigInt(raw);
      out[name] = b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    } else if (/^-?\d+\.\d+(e[+-]?\d+)?$/i.test(raw)) out[name] = Number(raw);
    else out[name] = raw;
  }
  return out;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

function prepare(db: Database.Database, sql: string): Database.Statement {
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    throw new UserError(`query: ${oneLine(err)}`);
  }
  if (!stmt.reader) {
    throw new UserError('query: the inventory is read-only here: this statement does not return rows (use SELECT, WITH, or a PRAGMA that reads)');
  }
  return stmt;
}

function cell(v: unknown): Cell {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  return v as Cell;
}

/** Runs `sql` on the inventory at `path` and writes the rows; returns the number of rows. */
export function runQuery(
  path: string, sql: string, params: Record<string, string | number | bigint>, format: Format, write: (s: string) => void,
): number {
  const db = openForRead(path);
  try {
    const stmt = prepare(db, sql);
    stmt.raw(true);
    stmt.safeIntegers(true);
    const sink = makeSink(format, stmt.columns().map((c) => c.name), write);
    let n = 0;
    const args = Object.keys(params).length > 0 ? [params] : [];
    try {
      for (const r of stmt.iterate(...args) as Iterable<unknown[]>) {
        sink.row(r.map(cell));
        n++;
      }
    } catch (err) {
      throw new UserError(`query: ${oneLine(err)}`);
    }
    sink.end();
    return n;
  } finally {
    db.close();
  }
}
