/** `rdbscope schema`: the documented inventory schema (tables, columns, views). */
import Database from 'better-sqlite3';
import type { Argv, CommandModule } from 'yargs';
import { indexSql, schemaSql } from '../inventory/db.js';

interface Args {
  format: 'sql' | 'json';
}

interface ObjectInfo {
  name: string;
  type: string;
  columns: Array<{ name: string; type: string; notnull: boolean }>;
}

/** Tables and views of the schema with their columns, from an in-memory database built from schema.sql. */
export function schemaObjects(): ObjectInfo[] {
  const db = new Database(':memory:');
  try {
    db.exec(schemaSql());
    const objs = db.prepare("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY rowid").all() as Array<{ name: string; type: string }>;
    return objs.map((o) => ({
      ...o,
      // table_xinfo: with the computed columns (hidden 2 and 3; 1 would be a virtual table's hidden column)
      columns: (db.pragma(`table_xinfo(${o.name})`) as Array<{ name: string; type: string; notnull: number; hidden: number }>)
        .filter((c) => c.hidden !== 1)
        .map((c) => ({ name: c.name, type: c.type, notnull: c.notnull === 1 })),
    }));
  } finally {
    db.close();
  }
}

export const schemaCommand: CommandModule<object, Args> = {
  command: 'schema',
  describe: 'Print the inventory schema that `rdbscope query` runs against',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('format', { alias: 'f', type: 'string', choices: ['sql', 'json'] as const, default: 'sql' as const, describe: 'Commented SQL, or tables/views and columns as JSON' })
      .example('$0 schema', 'tables, columns and views, with comments')
      .example('$0 schema --format json', 'for programs') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    if (a.format === 'json') process.stdout.write(JSON.stringify(schemaObjects(), null, 2) + '\n');
    else process.stdout.write(`${schemaSql().trimEnd()}\n\n-- Indexes, made when an inventory is opened for writing:\n${indexSql()}`);
  },
};
