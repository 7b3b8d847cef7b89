/**
 * The report as one self-contained HTML page: inline CSS, inline SVG charts drawn here, and a few lines of inline
 * script for sortable tables. A Content-Security-Policy forbids any network access from the page.
 */
import type { Bucket, ReportData } from './summary.js';
import type { Finding } from '../rules/engine.js';
import { esc, hbarsSvg, treemapSvg, vbarsSvg, type TreemapItem } from './html-svg.js';
import { escapeBytes, fmtBytes, fmtInt, fmtPct } from './text-escape.js';
import { fmtTtl } from './text.js';
import { FREES_TEXT, savingsSummary } from './text-findings.js';

const TYPE_COLORS: Record<string, string> = {
  string: '#4e79a7', hash: '#f28e2b', list: '#e15759', set: '#76b7b2', zset: '#59a14f', stream: '#edc948', module: '#b07aa1',
};
const MIXED = '#9c755f';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:20px}header p{margin:0;color:#c9cfdb}
main{padding:8px 28px 40px;max-width:1280px}section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:14px 18px;margin:16px 0}
h2{font-size:16px;margin:0 0 10px}.cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#5c6578;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
th{background:#f1f3f6;cursor:pointer;user-select:none}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}pre{background:#f4f5f8;padding:8px;overflow:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}.grid section{margin:0}
svg text{font-size:12px;fill:#1d2330}svg .small{font-size:11px}.treemap text{fill:#fff;font-size:12px;pointer-events:none}.treemap .group-label{font-weight:600}.treemap .sub{font-size:11px;opacity:.9}
.treemap rect{stroke:#fff;stroke-width:1}.cell:hover rect{opacity:.85}.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.sev{font-size:11px;padding:1px 6px;border-radius:8px;color:#fff}.sev-info{background:#4e79a7}.sev-warning{background:#f28e2b}.sev-critical{background:#e15759}
.finding{border-top:1px solid #eceef2;padding-top:10px;margin-top:10px}.muted{color:#5c6578}
`;

const SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, i) {
    th.addEventListener('click', function () {
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows), dir = th.dataset.dir === 'desc' ? 1 : -1;
      th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[i].dataset.v, y = b.cells[i].dataset.v;
        if (x !== undefined && y !== undefined) return (Number(x) - Number(y)) * dir;
        return a.cells[i].textContent.localeCompare(b.cells[i].textContent) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
`;

function num(n: number, text: string): string {
  return `<td class="n" data-v="${n}">${esc(text)}</td>`;
}

function sortable(head: Array<[string, boolean]>, rows: string[]): string {
  return `<table class="sortable"><thead><tr>${head.map(([h, n]) => `<th${n ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`;
}

function bucketBars(rows: Bucket[], total: number, color: string): string {
  return hbarsSvg(rows.map((b) => ({ label: b.label, value: b.memory, color,
    text: `${fmtBytes(b.memory)} · ${fmtInt(b.keys)} keys · ${fmtPct(b.memory, total)}` })));
}

function legend(): string {
  return `<div class="legend">${Object.entries(TYPE_COLORS).map(([t, c]) => `<span><i style="background:${c}"></i>${t}</span>`).join('')}` +
    `<span><i style="background:${MIXED}"></i>mixed / other</span></div>`;
}

function findingHtml(f: Finding): string {
  const rows = f.rows.map((r) => `<tr><td>${esc(r.pattern)}</td>${num(r.keys, fmtInt(r.keys))}${num(r.memory, fmtBytes(r.memory))}` +
    `${num(r.savings, fmtBytes(r.savings))}<td>${esc(r.detail ?? '')}</td><td><code>${r.example === null ? '' : esc(escapeBytes(r.example))}</code></td></tr>`);
  return `<div class="finding" id="rule-${esc(f.id)}"><h3><span class="sev sev-${f.severity}">${f.severity}</span> ${esc(f.title)} <code>${esc(f.id)}</code></h3>` +
    `<p>${fmtInt(f.keys)} keys, ${fmtBytes(f.memory)} affected, estimated savings <b>${fmtBytes(f.savings)}</b>${f.savings > 0 ? `, ${esc(FREES_TEXT[f.frees])}` : ''}</p>` +
    sortable([['pattern', false], ['keys', true], ['memory', true], ['savings', true], ['detail', false], ['example', false]], rows) +
    `<p><b>Why.</b> ${esc(f.rationale)}</p><p><b>Fix.</b> ${esc(f.fix)}</p>` +
    `<details><summary>SQL that found it</summary><pre>${esc(f.sql)}</pre></details></div>`;
}

/** The complete page. */
export function renderReportHtml(d: ReportData): string {
  const s = d.snapshot;
  const T = d.totals;
  const title = `rdbscope report: ${s.label ?? s.source} (snapshot ${s.id})`;
  const top = d.patterns.slice(0, 60);
  const rest = d.patterns.slice(60);
  const restMem = T.memory - top.reduce((a, p) => a + p.memory, 0);
  const items: TreemapItem[] = top.map((p) => ({
    label: p.pattern, value: p.memory, color: TYPE_COLORS[p.types] ?? MIXED, sub: `${fmtBytes(p.memory)} · ${fmtPct(p.memory, T.memory)}`,
    tip: `${p.pattern}\n${fmtBytes(p.memory)} (${fmtPct(p.memory, T.memory)}), ${fmtInt(p.keys)} keys, ${p.types}, TTL on ${(p.ttlShare * 100).toFixed(1)} %`,
    children: p.byType.map((t) => ({ label: t.type, value: t.memory, color: TYPE_COLORS[t.type] ?? MIXED,
      tip: `${p.pattern} (${t.type})\n${fmtBytes(t.memory)} (${fmtPct(t.memory, T.memory)}), ${fmtInt(t.keys)} keys` })),
  }));
  if (restMem > 0) items.push({ label: `other families (${fmtInt(Math.max(rest.length, 1))}+)`, value: restMem, color: '#bab0ac', tip: `other families: ${fmtBytes(restMem)}` });

  const cards = [
    ['total-keys', fmtInt(T.keys), 'keys'], ['total-memory', fmtBytes(T.memory), `estimated memory (${fmtInt(T.memory)} bytes)`],
    ['total-ttl', fmtPct(T.withTtl, T.keys), `keys with a TTL (${fmtInt(T.withTtl)})`], ['total-rdb', fmtBytes(T.rdbBytes), 'in the dump'],
    ['total-findings', String(d.recommendations?.findings.length ?? 0), 'recommendations'],
  ].map(([id, v, l]) => `<div class="card"><b id="${id}">${esc(v!)}</b><span>${esc(l!)}</span></div>`).join('');

  const patternRows = d.patterns.slice(0, 50).map((p) => `<tr><td>${esc(p.pattern)}</td><td>${esc(p.types)}</td>` +
    `${num(p.keys, fmtInt(p.keys))}${num(p.memory, fmtBytes(p.memory))}${num(p.memory / Math.max(1, T.memory), fmtPct(p.memory, T.memory))}` +
    `${num(p.ttlShare, `${(p.ttlShare * 100).toFixed(1)} %`)}</tr>`);
  const encRows = d.byEncoding.map((e) => `<tr><td>${esc(e.type)}</td><td>${esc(e.encoding)}</td>${num(e.keys, fmtInt(e.keys))}` +
    `${num(e.memory, fmtBytes(e.memory))}${num(e.memory / Math.max(1, T.memory), fmtPct(e.memory, T.memory))}</tr>`);
  const dbRows = d.byDb.map((r) => `<tr>${num(r.db, String(r.db))}${num(r.keys, fmtInt(r.keys))}${num(r.withTtl, fmtInt(r.withTtl))}` +
    `${num(r.memory, fmtBytes(r.memory))}</tr>`);
  const keyRows = d.topKeys.map((k) => `<tr><td><code>${esc(k.key)}</code></td>${num(k.db, String(k.db))}<td>${esc(k.type)}</td>` +
    `<td>${esc(k.encoding)}</td>${num(k.length, fmtInt(k.length))}${num(k.memory, fmtBytes(k.memory))}` +
    `${num(k.ttlS ?? -1e18, fmtTtl(k.ttlS))}</tr>`);
  const recs = d.recommendations;
  const totals = recs ? savingsSummary(recs) : [];
  const totalsHtml = totals.length ? `<p id="savings"><b>${esc(totals[0]!)}</b>${totals.slice(1).map((l) => `<br>${esc(l.trim())}`).join('')}</p>` : '';
  const recHtml = !recs ? '<p class="muted">Rules were not run.</p>'
    : totalsHtml + (recs.findings.length === 0 ? '<p>No findings.</p>' : recs.findings.map(findingHtml).join('')) +
      (recs.skipped.length ? `<p class="muted">Not applicable to this dump: ${recs.skipped.map((k) => `<code>${esc(k.id)}</code> (${esc(k.reason)})`).join('; ')}</p>` : '');
  const collTotal = d.lengthHistogram.reduce((a, b) => a + b.memory, 0);

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>${esc(s.source)} · writer ${esc(s.writer ?? 'unknown')} · ${esc(s.magic ?? '?')} RDB ${esc(String(s.rdb_version ?? '?'))}` +
    ` · written ${esc(s.ctimeIso ?? 'at an unknown time')}${s.memory_model ? ` · memory model ${esc(s.memory_model)}` : ''}</p></header>
<main><div class="cards" style="margin-top:16px">${cards}</div>
<section><h2>Memory by key family</h2>${legend()}${treemapSvg(items, 1200, 520)}</section>
<div class="grid"><section><h2>By type</h2>${hbarsSvg(d.byType.map((t) => ({ label: t.type, value: t.memory, color: TYPE_COLORS[t.type] ?? MIXED,
    text: `${fmtBytes(t.memory)} · ${fmtInt(t.keys)} keys` })))}</section>
<section><h2>By type and encoding</h2>${sortable([['type', false], ['encoding', false], ['keys', true], ['memory', true], ['share', true]], encRows)}</section></div>
<div class="grid"><section><h2>TTL left at dump time (memory)</h2>${bucketBars(d.ttl, T.memory, '#e15759')}</section>
<section><h2>By database</h2>${sortable([['db', true], ['keys', true], ['with TTL', true], ['memory', true]], dbRows)}</section></div>
<div class="grid"><section><h2>Keys by estimated memory</h2>${vbarsSvg(d.memoryHistogram.map((b) => ({ label: b.label, value: b.keys, text: fmtInt(b.keys) })))}</section>
<section><h2>Collections by element count (memory ${fmtBytes(collTotal)})</h2>${vbarsSvg(d.lengthHistogram.map((b) => ({ label: b.label, value: b.keys, text: fmtInt(b.keys), color: '#f28e2b' })))}</section></div>
<section><h2>Top key families</h2>${sortable([['pattern', false], ['types', false], ['keys', true], ['memory', true], ['share', true], ['TTL coverage', true]], patternRows)}</section>
<section><h2>Top keys</h2>${sortable([['key', false], ['db', true], ['type', false], ['encoding', false], ['length', true], ['memory', true], ['TTL', true]], keyRows)}</section>
<section id="recommendations"><h2>Recommendations</h2>${recHtml}</section>
</main><script>${SCRIPT}</script></body></html>
`;
}
