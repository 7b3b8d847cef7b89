/** Rule findings as terminal text, Markdown, or JSON-ready data. */
import type { Finding, RuleResults } from '../rules/engine.js';
import type { Frees } from '../rules/format.js';
import { splitSavings, type CombinedSavings, type SavingsSplit } from '../rules/overlap.js';
import { escapeBytes, fmtBytes, fmtInt, table } from './text-escape.js';

export interface FindingsJson {
  readonly findings: Array<Omit<Finding, 'rows'> & { rows: Array<Omit<Finding['rows'][number], 'example'> & { example: string | null }> }>;
  readonly skipped: RuleResults['skipped'];
  readonly clean: string[];
  /** The sum of the findings' savings (a key in several findings counts in each). */
  readonly totalSavings: number;
  /** The same sum by when it is freed. */
  readonly savings: SavingsSplit;
  /** Each key counted once, where computed (recommend and report compute it). */
  readonly combined: CombinedSavings | null;
}

/** When a finding's savings are freed, in words. */
export const FREES_TEXT: Record<Frees, string> = {
  now: 'freed now (by a reviewed plan)',
  expiry: 'freed at expiry (once the TTLs fire)',
  rewrite: 'freed after a rewrite (the application or settings change)',
};

/** The savings lines: by when they are freed, and counted once a key. */
export function savingsSummary(r: RuleResults): string[] {
  const split = splitSavings(r.findings);
  const sum = split.now + split.expiry + split.rewrite;
  if (sum === 0) return [];
  const c = r.combined;
  const out = [`Estimated savings, each key counted once${c ? '' : ' in each finding'}:`];
  const v = c ?? { ...split, total: sum, notDeduplicated: [] };
  out.push(`  now: ${fmtBytes(v.now)}, at expiry: ${fmtBytes(v.expiry)}, after a rewrite: ${fmtBytes(v.rewrite)}; in all ${fmtBytes(v.total)}` +
    (c && c.total !== sum ? ` (the findings add up to ${fmtBytes(sum)}: some keys are in several)` : ''));
  if (c && c.notDeduplicated.length > 0) out.push(`  counted as they are, their keys not listed: ${c.notDeduplicated.join(', ')}`);
  return out;
}

/** The results with example keys escaped for display, ready for JSON.stringify. */
export function findingsJson(r: RuleResults): FindingsJson {
  return {
    findings: r.findings.map((f) => ({
      ...f,
      rows: f.rows.map((row) => ({ ...row, example: row.example === null ? null : escapeBytes(row.example) })),
    })),
    skipped: r.skipped,
    clean: r.clean,
    totalSavings: r.findings.reduce((s, f) => s + f.savings, 0),
    savings: splitSavings(r.findings),
    combined: r.combined ?? null,
  };
}

function indent(text: string, pad: string): string {
  return text.split('\n').map((l) => (l === '' ? l : pad + l)).join('\n');
}

function rowsTable(f: Finding, maxRows: number): string {
  const rows = f.rows.slice(0, maxRows).map((r) => [
    r.pattern, fmtInt(r.keys), fmtBytes(r.memory), fmtBytes(r.savings), r.detail ?? '',
  ]);
  let t = table(['pattern', 'keys', 'memory', 'savings', 'detail'], rows, 'lrrrl');
  if (f.rows.length > maxRows) t += `\n... ${f.rows.length - maxRows} more rows (--format json lists all)`;
  return t;
}

export interface TextOptions {
  /** Show each finding's SQL (recommend does; the report does not). */
  readonly sql: boolean;
  readonly maxRows?: number;
}

/** Findings ranked as given, each with its rows, rationale, fix and (optionally) the SQL that found it. */
export function renderFindingsText(r: RuleResults, opts: TextOptions): string {
  const out: string[] = [];
  if (r.findings.length === 0) out.push('No findings.');
  r.findings.forEach((f, i) => {
    out.push(`${i + 1}. [${f.severity}] ${f.title} (${f.id})`);
    out.push(`   ${fmtInt(f.keys)} keys, ${fmtBytes(f.memory)} affected, estimated savings ${fmtBytes(f.savings)}${f.savings > 0 ? `, ${FREES_TEXT[f.frees]}` : ''}`);
    out.push(indent(rowsTable(f, opts.maxRows ?? 10), '   '));
    out.push(`   Why: ${f.rationale}`);
    out.push(`   Fix: ${f.fix}`);
    if (opts.sql) out.push(`   SQL (${f.file}, :snapshot = the snapshot id):\n${indent(f.sql, '     ')}`);
    out.push('');
  });
  if (r.skipped.length > 0) {
    out.push('Not applicable to this dump:');
    for (const s of r.skipped) out.push(`  ${s.id}: ${s.reason}`);
  }
  if (r.clean.length > 0) out.push(`No findings from: ${r.clean.join(', ')}`);
  const totals = savingsSummary(r);
  if (totals.length > 0) out.push('', ...totals);
  return out.join('\n').trimEnd() + '\n';
}

function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[*_`<>[\]]/g, (c) => `\\${c}`);
}

/** Findings as a Markdown document (for tickets and wikis). */
export function renderFindingsMarkdown(r: RuleResults, title: string): string {
  const out: string[] = [`# ${md(title)}`, ''];
  const total = r.findings.reduce((s, f) => s + f.savings, 0);
  out.push(`${r.findings.length} findings, estimated savings ${fmtBytes(total)} in total.`, '');
  const totals = savingsSummary(r);
  if (totals.length > 0) out.push(...totals.map((l) => md(l.trim())).join('  \n').split('\n'), '');
  r.findings.forEach((f, i) => {
    out.push(`## ${i + 1}. ${md(f.title)} (\`${f.id}\`, ${f.severity})`, '');
    out.push(`${fmtInt(f.keys)} keys, ${fmtBytes(f.memory)} affected, estimated savings **${fmtBytes(f.savings)}**${f.savings > 0 ? `, ${md(FREES_TEXT[f.frees])}` : ''}.`, '');
    out.push('| pattern | keys | memory | savings | detail | example |', '|---|---:|---:|---:|---|---|');
    for (const row of f.rows) {
      const ex = row.example === null ? '' : `\`${escapeBytes(row.example).replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
      out.push(`| ${md(row.pattern)} | ${fmtInt(row.keys)} | ${fmtBytes(row.memory)} | ${fmtBytes(row.savings)} | ${md(row.detail ?? '')} | ${ex} |`);
    }
    out.push('', `**Why.** ${md(f.rationale)}`, '', `**Fix.** ${md(f.fix)}`, '');
    out.push('<details><summary>SQL</summary>', '', '```sql', f.sql, '```', '', '</details>', '');
  });
  if (r.skipped.length > 0) {
    out.push('## Not applicable to this dump', '');
    for (const s of r.skipped) out.push(`- \`${s.id}\`: ${md(s.reason)}`);
    out.push('');
  }
  if (r.clean.length > 0) out.push(`No findings from: ${r.clean.map((c) => `\`${c}\``).join(', ')}.`, '');
  return out.join('\n');
}
