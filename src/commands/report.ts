/** `rdbscope report`: a snapshot's memory report in the terminal, as JSON, or as a self-contained HTML page. */
import type { Argv, CommandModule } from 'yargs';
import { loadRules } from '../rules/engine.js';
import { runRulesInParallel } from '../rules/parallel.js';
import { openInventory, resolveSnapshot } from '../rules/snapshot.js';
import { buildSummary } from '../report/summary.js';
import { renderReportText } from '../report/text.js';
import { renderReportHtml } from '../report/html.js';
import { findingsJson } from '../report/text-findings.js';
import { UserError } from '../errors.js';
import { buildScorecard, renderScorecardHtml, renderScorecardText } from '../report/scorecard.js';
import { serverView } from '../facts/view.js';
import { serverLines } from '../facts/text.js';
import { esc } from '../report/html-svg.js';
import { checkOutput, writeFileAtomic } from '../output/files.js';

const FORMATS = ['text', 'json'] as const;

interface Args {
  in: string;
  snapshot?: string;
  rules: string[];
  format: (typeof FORMATS)[number];
  html?: string;
  force: boolean;
  top: number;
}


export const reportCommand: CommandModule<object, Args> = {
  command: 'report',
  describe: 'Memory report of a snapshot: totals, families, TTLs, histograms, top keys, recommendations',
  builder: (y: Argv): Argv<Args> =>
    y
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('snapshot', { alias: 's', type: 'string', describe: 'Snapshot id or label (default: the newest complete one)' })
      .option('rules', { type: 'string', array: true, default: [] as string[], describe: 'A folder of your own rules for the recommendations (repeatable)' })
      .option('format', { alias: 'f', type: 'string', choices: FORMATS, default: 'text' as const, describe: 'Output format on stdout' })
      .option('html', { type: 'string', describe: 'Also write a self-contained HTML page to this file' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite --html even when it is an inventory or a dump' })
      .option('top', { type: 'number', default: 20, describe: 'How many top keys to list' })
      .example('$0 report --in rdbscope.sqlite', 'the report in the terminal')
      .example('$0 report --html report.html', 'also write a self-contained HTML page (no network needed to view it)')
      .example('$0 report --snapshot 2 --format json > report.json', 'the same data as JSON') as unknown as Argv<Args>,
  handler: async (a: Args): Promise<void> => {
    if (a.html) checkOutput(a.html, [a.in, ...a.rules], a.force);
    if (!Number.isInteger(a.top) || a.top < 1) throw new UserError(`--top must be a positive integer, got ${a.top}`);
    const rules = loadRules(a.rules.map(String));
    const db = openInventory(a.in, { summaries: true });
    try {
      const snap = resolveSnapshot(db, a.in, a.snapshot);
      // The rules run on other threads while this one computes the summary.
      const stop = new AbortController();
      const findings = runRulesInParallel(db, a.in, rules, snap.id, { signal: stop.signal });
      findings.catch(() => undefined); // awaited below; observed here in case the summary fails first
      let summary: ReturnType<typeof buildSummary>;
      try {
        summary = buildSummary(db, snap, null, { topKeys: a.top });
      } catch (err) {
        stop.abort();
        throw err;
      }
      const data = { ...summary, recommendations: await findings };
      // The first screen: the scorecard, and what the server said when its facts were read.
      const scorecard = buildScorecard(db, snap.id);
      const server = serverView(db, snap.id);
      if (a.html) {
        const page = renderReportHtml(data);
        const at = page.indexOf('</header>');
        const extra = renderScorecardHtml(scorecard) + (server ? `<section id="server"><h2>Server</h2><pre>${esc(serverLines(server).join('\n'))}</pre></section>` : '');
        writeFileAtomic(a.html, at < 0 ? page : page.slice(0, at + 9) + extra + page.slice(at + 9), 'report');
      }
      if (a.format === 'json') {
        const recs = data.recommendations ? findingsJson(data.recommendations) : null;
        process.stdout.write(JSON.stringify({ scorecard, server, ...data, recommendations: recs }, null, 2) + '\n');
      } else if (a.html) {
        process.stdout.write(`${a.html}: report of snapshot ${snap.id}, ${data.totals.keys} keys\n`);
      } else {
        const text = renderReportText(data);
        const cut = text.indexOf('\n\n');
        const first = renderScorecardText(scorecard) + (server ? `\n${serverLines(server).join('\n')}\n` : '');
        process.stdout.write(cut < 0 ? text + first : `${text.slice(0, cut + 2)}${first}\n${text.slice(cut + 2)}`);
      }
    } finally {
      db.close();
    }
  },
};
