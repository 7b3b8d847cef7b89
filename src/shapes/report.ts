/**
 * `rdbscope shape`: the value shapes of a snapshot's families as stored by `index` (value_shapes, value_formats,
 * value_fields), as JSON objects (one per family) or text.
 */
import { UserError } from '../errors.js';
import type { Db } from '../inventory/db.js';
import { humanBytes } from '../inventory/progress.js';

export interface FamilyShape {
  pattern: string;
  type: string;
  keys: number;
  sampled: number;
  sampled_values: number;
  /** Every ± below is a 95 % margin. */
  confidence: number;
  values: number;
  bytes: number;
  memory: number;
  formats: Record<string, number>;
  formats_error: Record<string, number>;
  formats_bytes: Record<string, number>;
  deflate_ratio: number | null;
  deflate_ratio_error: number | null;
  deflate_savings: number;
  deflate_savings_error: number;
  compressed_share: number;
  json_share: number;
  msgpack_ratio?: number | null;
  msgpack_ratio_error?: number | null;
  msgpack_savings?: number | null;
  msgpack_savings_error?: number | null;
  msgpack_deflate_ratio?: number | null;
  msgpack_deflate_ratio_error?: number | null;
  msgpack_deflate_savings?: number | null;
  msgpack_deflate_savings_error?: number | null;
  flat_json_share?: number;
  hash_savings?: number | null;
  hash_savings_error?: number | null;
  json_measured?: number;
  fields?: Array<{ path: string; type: string; present: number; present_error: number; bytes: number; share_of_bytes: number; share_error: number; avg_bytes: number }>;
}

/** A --pattern: the family's exact pattern, or one with `*` wildcards. */
function patternCondition(p: string | undefined): { sql: string; arg: string | null } {
  if (p === undefined || p === '') return { sql: '1', arg: null };
  if (!p.includes('*')) return { sql: 'pattern = ?', arg: p };
  return { sql: "pattern LIKE ? ESCAPE '\\'", arg: p.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%') };
}

export function loadShapes(db: Db, path: string, snapshot: number, pattern?: string): FamilyShape[] {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'value_shapes'").get();
  if (!has) throw new UserError(`${path}: this inventory has no value shapes (indexed by an earlier rdbscope: index the dump again)`);
  const cond = patternCondition(pattern);
  const args = cond.arg === null ? [snapshot] : [snapshot, cond.arg];
  const fams = db.prepare(`SELECT * FROM value_shapes WHERE snapshot_id = ? AND ${cond.sql} ORDER BY memory DESC, pattern`).all(...args) as Array<Record<string, number | string | null>>;
  const formats = db.prepare('SELECT format, share, share_error, bytes_share FROM value_formats WHERE snapshot_id = ? AND pattern = ? ORDER BY share DESC, format');
  const fields = db.prepare(`SELECT path, type, present, present_error, bytes, share_of_bytes, share_error, avg_bytes FROM value_fields
    WHERE snapshot_id = ? AND pattern = ? ORDER BY bytes DESC, path`);
  return fams.map((f) => {
    const fm = formats.all(snapshot, f.pattern) as Array<{ format: string; share: number; share_error: number; bytes_share: number }>;
    const n = (k: string): number => f[k] as number;
    const out: FamilyShape = {
      pattern: f.pattern as string, type: f.type as string, keys: n('keys'), sampled: n('sampled'), sampled_values: n('sampled_values'),
      confidence: 0.95, values: n('values'), bytes: n('bytes'), memory: n('memory'),
      formats: Object.fromEntries(fm.map((x) => [x.format, x.share])),
      formats_error: Object.fromEntries(fm.map((x) => [x.format, x.share_error])),
      formats_bytes: Object.fromEntries(fm.map((x) => [x.format, x.bytes_share])),
      deflate_ratio: f.deflate_ratio as number | null, deflate_ratio_error: f.deflate_ratio_error as number | null,
      deflate_savings: n('deflate_savings'), deflate_savings_error: n('deflate_savings_error'),
      compressed_share: n('compressed_share'), json_share: n('json_share'),
    };
    if (n('json_share') > 0) {
      Object.assign(out, {
        json_measured: n('json_measured'),
        msgpack_ratio: f.msgpack_ratio, msgpack_ratio_error: f.msgpack_ratio_error,
        msgpack_savings: f.msgpack_savings, msgpack_savings_error: f.msgpack_savings_error,
        msgpack_deflate_ratio: f.msgpack_deflate_ratio, msgpack_deflate_ratio_error: f.msgpack_deflate_ratio_error,
        msgpack_deflate_savings: f.msgpack_deflate_savings, msgpack_deflate_savings_error: f.msgpack_deflate_savings_error,
        flat_json_share: f.flat_json_share, hash_savings: f.hash_savings, hash_savings_error: f.hash_savings_error,
        fields: fields.all(snapshot, f.pattern),
      });
    }
    return out;
  });
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
const pm = (v: number | null | undefined, e: number | null | undefined, d = 2): string =>
  v === null || v === undefined ? '-' : `${v.toFixed(d)} ±${(e ?? 0).toFixed(d)}`;

export function renderShapesText(fams: FamilyShape[]): string {
  if (fams.length === 0) return 'No value shapes (no family matched, or the dump was indexed with --no-values-sample).\n';
  const lines: string[] = ['Value shapes (from a sample; ± is the 95 % margin; ratios are original / other size)', ''];
  for (const f of fams) {
    lines.push(`${f.pattern}  (${f.type}, ${f.keys.toLocaleString('en-US')} keys, ${f.sampled.toLocaleString('en-US')} sampled, ` +
      `${f.sampled_values.toLocaleString('en-US')} values examined)`);
    lines.push(`  values ${humanBytes(f.bytes)}, memory ${humanBytes(f.memory)}`);
    const fm = Object.entries(f.formats).map(([k, v]) => `${k} ${pct(v)} ±${(f.formats_error[k]! * 100).toFixed(1)}`);
    lines.push(`  formats: ${fm.join(', ')}`);
    lines.push(`  deflate: ratio ${pm(f.deflate_ratio, f.deflate_ratio_error)}, saves ${humanBytes(f.deflate_savings)}` +
      (f.compressed_share > 0 ? ` (${pct(f.compressed_share)} already compressed)` : ''));
    if (f.json_share > 0) {
      lines.push(`  MessagePack: ratio ${pm(f.msgpack_ratio, f.msgpack_ratio_error)}` +
        (f.msgpack_savings != null ? `, saves ${humanBytes(f.msgpack_savings)}` : '') +
        `; + deflate: ratio ${pm(f.msgpack_deflate_ratio, f.msgpack_deflate_ratio_error)}` +
        (f.msgpack_deflate_savings != null ? `, saves ${humanBytes(f.msgpack_deflate_savings)}` : ''));
      if (f.hash_savings != null) lines.push(`  as hashes (${pct(f.flat_json_share ?? 0)} flat objects): saves ${humanBytes(f.hash_savings)}`);
      for (const x of (f.fields ?? []).slice(0, 8)) {
        lines.push(`    ${x.path.padEnd(32)} ${x.type.padEnd(7)} in ${pct(x.present).padStart(7)}  ${pct(x.share_of_bytes).padStart(7)} of bytes  avg ${x.avg_bytes.toFixed(0)} B`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
