/**
 * The scorecard: five success metrics of a Redis deployment, each with its target, the value measured on a
 * snapshot (and its server facts when there are some), pass or fail, and how it was measured. The first screen of
 * `report` (text, JSON, HTML) and gauges of `metrics`.
 */
import type { Db } from '../inventory/db.js';
import { serverView } from '../facts/view.js';
import { MONTH_S } from './history-load.js';
import { esc } from './html-svg.js';
import { fmtBytes, table } from './text-escape.js';

export interface ScoreMetric {
  readonly id: 'memory-efficiency' | 'fragmentation' | 'compression' | 'ttl-coverage' | 'growth';
  readonly name: string;
  /** The target, as text ('> 80 %'). */
  readonly target: string;
  /** The measured value (a ratio: 0.83 for 83 %, 1.2 for a fragmentation of 1.2, 2.5 for 2.5:1), or null when unknown. */
  readonly value: number | null;
  /** The value as shown, or why it is unknown. */
  readonly shown: string;
  /** null: not measurable from what the inventory holds. */
  readonly pass: boolean | null;
  readonly measured: string;
}

export interface Calibration {
  readonly samples: number;
  readonly medianError: number;
  readonly p90Error: number;
  readonly readAt: string;
}

export interface Scorecard {
  readonly snapshot: number;
  readonly metrics: ScoreMetric[];
  /** How well the memory model matched MEMORY USAGE on the server (index/facts --calibrate), when measured. */
  readonly calibration: Calibration | null;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

interface SnapRow {
  id: number;
  label: string | null;
  source: string;
  ctime: number | null;
  used_mem: number | null;
  memory_total: number | null;
  key_count: number | null;
}

export function calibrationOf(db: Db, snapshot: number): Calibration | null {
  const rows = db.prepare("SELECT name, value, read_at FROM server_facts WHERE snapshot_id = ? AND name LIKE 'calibration.%'").all(snapshot) as Array<{ name: string; value: string; read_at: string }>;
  const get = (n: string): number | null => {
    const r = rows.find((x) => x.name === `calibration.${n}`);
    return r ? Number(r.value) : null;
  };
  const samples = get('samples');
  const median = get('median_error');
  const p90 = get('p90_error');
  if (samples === null || median === null || p90 === null) return null;
  return { samples, medianError: median, p90Error: p90, readAt: rows[0]!.read_at };
}

export function buildScorecard(db: Db, snapshot: number): Scorecard {
  const s = db.prepare('SELECT id, label, source, ctime, used_mem, memory_total, key_count FROM snapshots WHERE id = ?').get(snapshot) as SnapRow;
  const server = serverView(db, snapshot);
  const inKeys = s.memory_total ?? 0;
  const metrics: ScoreMetric[] = [];

  // 1. memory efficiency
  const used = server?.usedMemory ?? null;
  if (used !== null && used > 0) {
    const v = inKeys / used;
    metrics.push({ id: 'memory-efficiency', name: 'Memory efficiency', target: '> 80 %', value: v, shown: pct(v), pass: v > 0.8,
      measured: `memory of the keys (${fmtBytes(inKeys)}, the model's MEMORY USAGE sum) / the server's used_memory (${fmtBytes(used)}, INFO memory)` });
  } else if (s.used_mem !== null && s.used_mem > 0) {
    const v = inKeys / s.used_mem;
    metrics.push({ id: 'memory-efficiency', name: 'Memory efficiency', target: '> 80 %', value: v, shown: pct(v), pass: v > 0.8,
      measured: `memory of the keys (${fmtBytes(inKeys)}) / used-mem recorded in the dump (${fmtBytes(s.used_mem)}, no server facts)` });
  } else {
    metrics.push({ id: 'memory-efficiency', name: 'Memory efficiency', target: '> 80 %', value: null, shown: 'unknown', pass: null,
      measured: 'the dump records no used-mem and there are no server facts (index --url or rdbscope facts)' });
  }

  // 2. fragmentation
  const frag = server?.fragmentation ?? null;
  metrics.push(frag !== null
    ? { id: 'fragmentation', name: 'Fragmentation', target: '< 1.5', value: frag, shown: frag.toFixed(2), pass: frag < 1.5,
      measured: `mem_fragmentation_ratio (INFO memory: RSS / used_memory) when the facts were read` }
    : server !== null
      ? { id: 'fragmentation', name: 'Fragmentation', target: '< 1.5', value: null, shown: 'unknown', pass: null,
        measured: `the server's facts have no mem_fragmentation_ratio${server.refused.some((r) => r.name === 'INFO memory') ? ' (it refused INFO memory)' : ''}` }
      : { id: 'fragmentation', name: 'Fragmentation', target: '< 1.5', value: null, shown: 'unknown offline', pass: null,
        measured: 'needs the server: index --url or rdbscope facts --url' });

  // 3. compression of large values
  const comp = db.prepare(`SELECT COUNT(*) AS n, SUM(memory) AS mem, SUM(memory / compress_ratio) AS packed
    FROM notable_keys WHERE snapshot_id = ? AND compress_ratio IS NOT NULL AND compress_ratio > 0`).get(snapshot) as { n: number; mem: number | null; packed: number | null };
  if (comp.n > 0 && comp.packed !== null && comp.packed > 0) {
    const v = comp.mem! / comp.packed;
    // The target is values stored compressed. Offline, what shows is what is left to gain: values the application
    // compresses measure about 1:1, values it stores as they are deflate by their own ratio (compressible-values).
    metrics.push({ id: 'compression', name: 'Compression of large values', target: '> 2:1 (stored compressed)', value: v, shown: `${v.toFixed(2)}:1 left to gain`, pass: v < 2,
      measured: `deflate of a sample of each of the ${comp.n} values over 1 KiB as stored, weighted by memory: values already compressed measure about 1:1 (pass); values that still deflate 2:1 or more are stored uncompressed (fail: see compressible-values)` });
  } else {
    metrics.push({ id: 'compression', name: 'Compression of large values', target: '> 2:1 (stored compressed)', value: null, shown: 'no large values', pass: null,
      measured: 'no value over 1 KiB was measured' });
  }

  // 4. TTL coverage
  const ttl = db.prepare(`SELECT SUM(keys) AS keys, SUM(memory) AS memory, SUM(CASE WHEN ttl_class <> 0 THEN keys END) AS tk,
      SUM(CASE WHEN ttl_class <> 0 THEN memory END) AS tm FROM key_groups WHERE snapshot_id = ?`).get(snapshot) as { keys: number | null; memory: number | null; tk: number | null; tm: number | null };
  if ((ttl.keys ?? 0) > 0) {
    const v = (ttl.tk ?? 0) / ttl.keys!;
    const m = (ttl.memory ?? 0) > 0 ? (ttl.tm ?? 0) / ttl.memory! : 0;
    metrics.push({ id: 'ttl-coverage', name: 'TTL coverage', target: '> 95 % of keys', value: v, shown: `${pct(v)} of keys, ${pct(m)} of memory`, pass: v > 0.95,
      measured: 'keys with an expiry in the dump / all keys (and the same by memory)' });
  } else {
    metrics.push({ id: 'ttl-coverage', name: 'TTL coverage', target: '> 95 % of keys', value: null, shown: 'no keys', pass: null, measured: 'the snapshot holds no keys' });
  }

  // 5. growth per month, from the earliest earlier snapshot of the same source (or label)
  const prior = s.ctime === null ? undefined : db.prepare(`SELECT id, ctime, memory_total FROM snapshots
      WHERE status = 'complete' AND id <> ? AND ctime IS NOT NULL AND ctime < ? AND (source = ? OR (label IS NOT NULL AND label = ?))
      ORDER BY ctime LIMIT 1`).get(snapshot, s.ctime, s.source, s.label) as { id: number; ctime: number; memory_total: number } | undefined;
  if (prior === undefined || s.ctime === null) {
    metrics.push({ id: 'growth', name: 'Growth per month', target: '< 10 %', value: null, shown: 'needs two snapshots', pass: null,
      measured: `index an earlier dump of the same source (${s.source}) or label to measure it` });
  } else if (s.ctime - prior.ctime < 86400 || !(prior.memory_total > 0)) {
    metrics.push({ id: 'growth', name: 'Growth per month', target: '< 10 %', value: null, shown: 'snapshots less than a day apart', pass: null,
      measured: `snapshot ${prior.id} is ${((s.ctime - prior.ctime) / 3600).toFixed(1)} hours older: too close to give a monthly rate` });
  } else {
    const months = (s.ctime - prior.ctime) / MONTH_S;
    const v = (inKeys - prior.memory_total) / prior.memory_total / months;
    metrics.push({ id: 'growth', name: 'Growth per month', target: '< 10 %', value: v, shown: `${v >= 0 ? '+' : ''}${pct(v)}`, pass: v < 0.1,
      measured: `memory of the keys against snapshot ${prior.id} (${fmtBytes(prior.memory_total)}), ${(months * 30.4375).toFixed(1)} days earlier by the dumps' ctime, simple monthly rate` });
  }
  return { snapshot, metrics, calibration: calibrationOf(db, snapshot) };
}

const verdict = (p: boolean | null): string => (p === null ? 'unknown' : p ? 'PASS' : 'FAIL');

export function calibrationText(c: Calibration): string {
  return `Memory model against MEMORY USAGE of ${c.samples} keys on the server: median error ${pct(c.medianError)}, p90 ${pct(c.p90Error)}`;
}

export function renderScorecardText(card: Scorecard): string {
  const rows = card.metrics.map((m) => [m.name, m.target, m.shown, verdict(m.pass), m.measured]);
  const lines = ['Scorecard', table(['metric', 'target', 'value', 'result', 'how measured'], rows, 'lllll')];
  if (card.calibration) lines.push(calibrationText(card.calibration));
  return `${lines.join('\n')}\n`;
}

export function renderScorecardHtml(card: Scorecard): string {
  const rows = card.metrics.map((m) => `<tr><td>${esc(m.name)}</td><td>${esc(m.target)}</td><td>${esc(m.shown)}</td>` +
    `<td class="${m.pass === null ? 'unknown' : m.pass ? 'pass' : 'fail'}">${verdict(m.pass)}</td><td>${esc(m.measured)}</td></tr>`).join('');
  const cal = card.calibration ? `<p>${esc(calibrationText(card.calibration))}</p>` : '';
  return `<section id="scorecard"><h2>Scorecard</h2><style>#scorecard td.pass{color:#1a7f37;font-weight:bold}` +
    `#scorecard td.fail{color:#cf222e;font-weight:bold}#scorecard td.unknown{color:#6e7781}</style>` +
    `<table><thead><tr><th>metric</th><th>target</th><th>value</th><th>result</th><th>how measured</th></tr></thead><tbody>${rows}</tbody></table>${cal}</section>`;
}

/** The scorecard as Prometheus samples: name, help, labels and value (unknown values left out). */
export function scorecardGauges(card: Scorecard): Array<{ name: string; help: string; value: number }> {
  const out: Array<{ name: string; help: string; value: number }> = [];
  for (const m of card.metrics) {
    if (m.value === null) continue;
    const id = m.id.replace(/-/g, '_');
    out.push({ name: `rdbscope_scorecard_${id}`, help: `Scorecard: ${m.name.toLowerCase()} (target ${m.target}; see rdbscope report for how it is measured)`, value: m.value });
    out.push({ name: `rdbscope_scorecard_${id}_pass`, help: `1 when ${m.name.toLowerCase()} meets its target (${m.target}), 0 when not`, value: m.pass ? 1 : 0 });
  }
  if (card.calibration) {
    out.push({ name: 'rdbscope_calibration_median_error_ratio', help: 'Median relative error of the memory model against MEMORY USAGE samples', value: card.calibration.medianError });
    out.push({ name: 'rdbscope_calibration_p90_error_ratio', help: '90th percentile relative error of the memory model against MEMORY USAGE samples', value: card.calibration.p90Error });
  }
  return out;
}
