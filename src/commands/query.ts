/** `rdbscope query SQL`: a read-only SQL statement against an inventory. */
import type { Argv, CommandModule } from 'yargs';
import { FORMATS, type Format } from '../inventory/format.js';
import { parseParams, runQuery } from '../inventory/query.js';

interface Args {
  sql: string;
  in: string;
  format: Format;
  param: string[];
}

export const queryCommand: CommandModule<object, Args> = {
  command: 'query <sql>',
  describe: 'Run a read-only SQL query on an inventory (see `rdbscope schema`)',
  builder: (y: Argv): Argv<Args> =>
    y
      .positional('sql', { type: 'string', demandOption: true, describe: 'One SELECT (or WITH ... SELECT, or reading PRAGMA)' })
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('format', { alias: 'f', type: 'string', choices: FORMATS, default: 'table' as Format,
        describe: 'table and csv show binary keys escaped ("\\xff\\x00"); json/jsonl add a <column>_base64 member for BLOBs' })
      .option('param', { alias: 'p', type: 'string', array: true, default: [] as string[], describe: 'Named parameter name=value, used as :name (repeatable)' })
      .example('$0 query "SELECT key, memory FROM biggest_keys LIMIT 20"', 'the 20 biggest keys')
      .example('$0 query "SELECT * FROM memory_by_pattern" -f csv', 'memory per key family, as CSV')
      .example('$0 query "SELECT * FROM complete_keys WHERE db = :db" -p db=3 -f jsonl', 'with a parameter')
      .example("$0 query \"SELECT * FROM complete_keys WHERE key = unhex('ff00')\"", 'a binary key') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    runQuery(a.in, a.sql, parseParams(a.param.map(String)), a.format, (s) => process.stdout.write(s));
  },
};
