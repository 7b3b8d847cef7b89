/** Rule findings as terminal text, Markdown, or JSON-ready data. */
import type { Finding, RuleResults } from '../rules/engine.js';
import { escapeBytes, fmtBytes, fmtInt, table } from './text-escape.js';

export interface FindingsJson {
  readonly findings: Array<Omit<Finding, 'rows'> & { rows: Array<Omit<Finding['rows'][number], 'example'> & { example: string | null }> }>;
  readonly skipped: RuleResults['skipped'];
  readonly clean: string[];
  readonly totalSavings: number;
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
    out.push(`   ${fmtInt(f.keys)} keys, ${fmtBytes(f.memory)} affected, estimated savings ${fmtBytes(f.savings)}`);
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
  r.findings.forEach((f, i) => {
    out.push(`## ${i + 1}. ${md(f.title)} (\`${f.id}\`, ${f.severity})`, '');
    out.push(`${fmtInt(f.keys)} keys, ${fmtBytes(f.memory)} affected, estimated savings **${fmtBytes(f.savings)}**.`, '');
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
