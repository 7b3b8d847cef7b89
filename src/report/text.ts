/** The terminal report: totals, breakdowns, families, TTLs, histograms, top keys and recommendations. */
import type { Bucket, ReportData } from './summary.js';
import { fmtBytes, fmtInt, fmtPct, table } from './text-escape.js';
import { renderFindingsText } from './text-findings.js';

function bar(part: number, whole: number, width = 24): string {
  const n = whole > 0 ? Math.round((part / whole) * width) : 0;
  return '#'.repeat(n).padEnd(width, '.');
}

function bucketTable(title: string, rows: Bucket[], totalKeys: number, totalMem: number): string {
  return `${title}\n${table(['', 'keys', 'keys %', 'memory', 'memory %', ''], rows.map((b) => [
    b.label, fmtInt(b.keys), fmtPct(b.keys, totalKeys), fmtBytes(b.memory), fmtPct(b.memory, totalMem), bar(b.memory, totalMem),
  ]), 'lrrrrl')}`;
}

/** Formats a TTL in seconds as 3d 4h, 12m, -2h (already expired). */
export function fmtTtl(s: number | null): string {
  if (s === null) return '-';
  const sign = s < 0 ? '-' : '';
  let a = Math.abs(s);
  if (a < 60) return `${sign}${a}s`;
  const parts: string[] = [];
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (a >= n && parts.length < 2) {
      parts.push(`${Math.floor(a / n)}${u}`);
      a %= n;
    }
  }
  return sign + parts.join(' ');
}

export interface ReportTextOptions {
  readonly patterns?: number;
}

/** The whole report as text for a terminal. */
export function renderReportText(d: ReportData, opts: ReportTextOptions = {}): string {
  const s = d.snapshot;
  const T = d.totals;
  const out: string[] = [];
  out.push(`rdbscope report: snapshot ${s.id}${s.label ? ` (${s.label})` : ''}, ${s.source}`);
  out.push(`Writer ${s.writer ?? 'unknown'}, ${s.magic ?? '?'} RDB version ${s.rdb_version ?? '?'}, written ${s.ctimeIso ?? 'at an unknown time'}` +
    `${s.memory_model ? `, memory model ${s.memory_model}` : ''}`);
  out.push('');
  out.push(`Keys ${fmtInt(T.keys)}, estimated memory ${fmtBytes(T.memory)} (${fmtInt(T.memory)} bytes), ` +
    `${fmtBytes(T.rdbBytes)} in the dump, ${fmtInt(T.withTtl)} keys with a TTL (${fmtPct(T.withTtl, T.keys)})` +
    `${s.used_mem ? `; server used_memory at dump time ${fmtBytes(s.used_mem)}` : ''}`);
  out.push('');
  out.push('By database');
  out.push(table(['db', 'keys', 'with TTL', 'memory', 'memory %'], d.byDb.map((r) => [
    String(r.db), fmtInt(r.keys), fmtInt(r.withTtl), fmtBytes(r.memory), fmtPct(r.memory, T.memory)])));
  out.push('');
  out.push('By type');
  out.push(table(['type', 'keys', 'memory', 'memory %'], d.byType.map((r) => [
    r.type, fmtInt(r.keys), fmtBytes(r.memory), fmtPct(r.memory, T.memory)])));
  out.push('');
  out.push('By encoding');
  out.push(table(['type', 'encoding', 'keys', 'memory', 'memory %'], d.byEncoding.map((r) => [
    r.type, r.encoding, fmtInt(r.keys), fmtBytes(r.memory), fmtPct(r.memory, T.memory)]), 'llrrr'));
  out.push('');
  const n = opts.patterns ?? 15;
  out.push(`Top key families by memory${d.patterns.length > n ? ` (${n} of ${fmtInt(d.patterns.length)})` : ''}`);
  out.push(table(['pattern', 'types', 'keys', 'memory', 'memory %', 'TTL coverage'], d.patterns.slice(0, n).map((p) => [
    p.pattern, p.types, fmtInt(p.keys), fmtBytes(p.memory), fmtPct(p.memory, T.memory), `${(p.ttlShare * 100).toFixed(1)} %`]), 'llrrrr'));
  out.push('');
  out.push(bucketTable(`TTL left at dump time (relative to its ctime${s.ctimeIso ? ` ${s.ctimeIso}` : ''})`, d.ttl, T.keys, T.memory));
  out.push('');
  out.push(bucketTable('Keys by estimated memory', d.memoryHistogram, T.keys, T.memory));
  out.push('');
  const collKeys = d.lengthHistogram.reduce((a, b) => a + b.keys, 0);
  const collMem = d.lengthHistogram.reduce((a, b) => a + b.memory, 0);
  out.push(bucketTable('Collections by element count', d.lengthHistogram, collKeys, collMem));
  out.push('');
  out.push(`Top ${d.topKeys.length} keys by memory`);
  out.push(table(['key', 'db', 'type', 'encoding', 'length', 'memory', 'TTL'], d.topKeys.map((k) => [
    k.key.length > 60 ? `${k.key.slice(0, 57)}...` : k.key, String(k.db), k.type, k.encoding, fmtInt(k.length),
    fmtBytes(k.memory), fmtTtl(k.ttlS)]), 'lrllrrr'));
  out.push('');
  if (d.recommendations) {
    out.push('Recommendations (rdbscope recommend shows the SQL behind each)');
    out.push(renderFindingsText(d.recommendations, { sql: false, maxRows: 5 }).trimEnd());
  }
  return out.join('\n') + '\n';
}
