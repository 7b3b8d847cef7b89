/** `rdbscope rules`: each rule's SQL, as SQLite runs it or translated for DuckDB, Spark SQL or Trino. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { loadRules } from '../rules/engine.js';
import { DIALECTS, translateSql, type Dialect } from '../rules/dialect.js';
import type { Rule } from '../rules/format.js';
import { setupSql } from '../rules/setup.js';

interface Args {
  dialect: Dialect;
  rule: string[];
  rules: string[];
  snapshot?: number;
  setup?: string;
  format: 'text' | 'json';
}

interface PrintedRule {
  id: string;
  title: string;
  severity: string;
  frees: string;
  file: string;
  skip: string | null;
  affected: string;
  savings: string | null;
}

function printed(r: Rule, d: Dialect, snapshot?: number): PrintedRule {
  const t = (sql: string): string => translateSql(sql, d, { snapshot });
  return {
    id: r.id, title: r.title, severity: r.severity, frees: r.frees, file: r.file,
    skip: r.skip ? t(r.skip.sql) : null,
    affected: t(r.affected.sql),
    savings: r.savings ? t(`WITH affected AS (\n${r.affected.sql}\n)\n${r.savings.sql}`) : null,
  };
}

/** One statement of the script: the query without the comment lines that end it, then ';'. */
function statement(sql: string): string {
  const lines = sql.trim().split('\n');
  while (lines.length > 1 && /^\s*(--.*)?$/.test(lines[lines.length - 1]!)) lines.pop();
  return `${lines.join('\n')};`;
}

const PARAM_NOTE: Record<Dialect, string> = {
  sqlite: ':snapshot is a named parameter (the snapshot id)',
  duckdb: "the snapshot id is getvariable('snapshot'): SET VARIABLE snapshot = N first",
  spark: ':snapshot is a named parameter marker: spark.sql(query, args={"snapshot": N}) (Spark 3.4+)',
  trino: 'each ? is the snapshot id: PREPARE q FROM ...; EXECUTE q USING N, N, ... (one N per ?)',
};

export const rulesCommand: CommandModule<object, Args> = {
  command: 'rules',
  describe: "Print each rule's SQL (built-in and --rules DIR) for SQLite, DuckDB, Spark SQL or Trino, to run where the data is",
  builder: (y: Argv): Argv<Args> =>
    y
      .option('dialect', { alias: 'd', type: 'string', choices: DIALECTS, default: 'sqlite' as Dialect, describe: 'The engine to print the SQL for (see the README for the translation)' })
      .option('rule', { alias: 'r', type: 'string', array: true, default: [] as string[], describe: 'Only this rule (an id; repeatable)' })
      .option('rules', { type: 'string', array: true, default: [] as string[], describe: 'A folder of your own rules, added to the built-in ones (repeatable)' })
      .option('snapshot', { alias: 's', type: 'number', describe: 'Write this snapshot id in place of the parameter' })
      .option('setup', { type: 'string', describe: "First print the statements that name a Parquet dataset's tables as the rules expect, for the dataset at this folder or URL (s3://...)" })
      .option('format', { type: 'string', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text: an SQL script; json: one object per rule' })
      .example('$0 rules --dialect duckdb --setup pq/ --snapshot 1 > rules.sql && duckdb < rules.sql', 'every rule on DuckDB over a dataset')
      .example('$0 rules --dialect spark --rule cold-keys --setup s3://bucket/rdb/', 'one rule for Spark SQL')
      .example('$0 rules --dialect trino --format json | jq -r ".rules[0].affected"', 'as JSON') as unknown as Argv<Args>,
  handler: (a: Args): void => {
    if (a.snapshot !== undefined && !(Number.isInteger(a.snapshot) && a.snapshot >= 0)) throw new UserError(`--snapshot: expected a snapshot id, got ${a.snapshot}`);
    if (a.setup !== undefined && a.dialect === 'sqlite') throw new UserError('--setup is for --dialect duckdb, spark or trino (an SQLite inventory needs none)');
    let rules = loadRules(a.rules.map(String));
    if (a.rule.length > 0) {
      const want = a.rule.map(String);
      const unknown = want.filter((id) => !rules.some((r) => r.id === id));
      if (unknown.length > 0) throw new UserError(`no rule with id ${unknown.map((u) => `'${u}'`).join(', ')} (rules: ${rules.map((r) => r.id).join(', ')})`);
      rules = rules.filter((r) => want.includes(r.id));
    }
    const d = a.dialect;
    const setup = a.setup !== undefined && d !== 'sqlite' ? setupSql(d, a.setup) : [];
    const list = rules.map((r) => printed(r, d, a.snapshot));
    if (a.format === 'json') {
      process.stdout.write(JSON.stringify({ dialect: d, parameter: a.snapshot ?? PARAM_NOTE[d], setup, rules: list }, null, 2) + '\n');
      return;
    }
    const out: string[] = [`-- rdbscope rules for ${d}; ${a.snapshot !== undefined ? `snapshot ${a.snapshot}` : PARAM_NOTE[d]}`, ''];
    if (setup.length > 0) out.push('-- setup: the dataset\'s tables under the names the rules read', ...setup.map((s) => `${s};`), '');
    if (d === 'duckdb' && setup.length === 0) out.push('SET integer_division = true;', '');
    for (const r of list) {
      out.push(`-- ${r.id}: ${r.title} (${r.severity}, frees ${r.frees})`);
      if (r.skip) out.push('-- @skip: a non-empty value means the rule does not apply', statement(r.skip));
      out.push('-- @affected', statement(r.affected));
      if (r.savings) out.push('-- @savings', statement(r.savings));
      out.push('');
    }
    process.stdout.write(out.join('\n'));
  },
};
