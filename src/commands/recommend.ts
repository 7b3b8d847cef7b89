/** `rdbscope recommend`: run the rules (built-in and --rules DIR) on a snapshot, findings ranked by savings. */
import type { Argv, CommandModule } from 'yargs';
import { loadRules } from '../rules/engine.js';
import { runRulesInParallel } from '../rules/parallel.js';
import { openInventory, resolveSnapshot } from '../rules/snapshot.js';
import { findingsJson, renderFindingsMarkdown, renderFindingsText } from '../report/text-findings.js';
import { openDataset, resolveDatasetSnapshot, runRulesOnDataset } from '../rules/duckdb.js';
import type { RuleResults } from '../rules/engine.js';
import type { SnapshotRow } from '../rules/snapshot.js';

const FORMATS = ['text', 'json', 'markdown'] as const;

interface Args {
  in: string;
  snapshot?: string;
  rules: string[];
  format: (typeof FORMATS)[number];
  parquet?: string;
}

export const recommendCommand: CommandModule<object, Args> = {
  command: 'recommend',
  describe: 'Findings of the rules on a snapshot, ranked by estimated savings, each with the SQL that found it',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('snapshot', { alias: 's', type: 'string', describe: 'Snapshot id or label (default: the newest complete one)' })
      .option('rules', { type: 'string', array: true, default: [] as string[], describe: 'A folder of your own rules (*.sql, see the README), added to the built-in ones (repeatable)' })
      .option('format', { alias: 'f', type: 'string', choices: FORMATS, default: 'text' as const, describe: 'Output format' })
      .option('parquet', { type: 'string', describe: 'Run the rules on embedded DuckDB over this Parquet dataset (rdbscope export, index --format parquet) instead of --in' })
      .example('$0 recommend --in rdbscope.sqlite', 'findings for the newest snapshot')
      .example('$0 recommend --snapshot prod-2024-05-01 --rules ./my-rules --format markdown > findings.md', 'with your own rules, as Markdown')
      .example('$0 recommend -f json | jq ".findings[0]"', 'the top finding as JSON')
      .example('$0 recommend --parquet pq/ --snapshot 3', 'the same findings from a Parquet dataset, on DuckDB') as unknown as Argv<Args>,
  handler: async (a: Args): Promise<void> => {
    const rules = loadRules(a.rules.map(String));
    if (a.parquet !== undefined) {
      const ds = await openDataset(a.parquet);
      try {
        const snap = await resolveDatasetSnapshot(ds, a.snapshot === undefined ? undefined : String(a.snapshot));
        print(a, rules.length, snap, await runRulesOnDataset(ds, rules, snap.id));
      } finally {
        ds.close();
      }
      return;
    }
    const db = openInventory(a.in, { summaries: true });
    try {
      const snap = resolveSnapshot(db, a.in, a.snapshot);
      print(a, rules.length, snap, await runRulesInParallel(db, a.in, rules, snap.id));
    } finally {
      db.close();
    }
  },
};

/** The findings on stdout, in the format asked for (the same from an inventory and from a dataset). */
function print(a: Args, ruleCount: number, snap: SnapshotRow, results: RuleResults): void {
  if (a.format === 'json') {
    process.stdout.write(JSON.stringify({ snapshot: { id: snap.id, label: snap.label, source: snap.source },
      ...findingsJson(results) }, null, 2) + '\n');
  } else if (a.format === 'markdown') {
    process.stdout.write(renderFindingsMarkdown(results, `rdbscope findings: snapshot ${snap.id}${snap.label ? ` (${snap.label})` : ''}`));
  } else {
    process.stdout.write(`Snapshot ${snap.id}${snap.label ? ` (${snap.label})` : ''}: ${results.findings.length} findings from ${ruleCount} rules\n\n`);
    process.stdout.write(renderFindingsText(results, { sql: true }));
  }
}
