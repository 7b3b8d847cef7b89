/** Display helpers shared by the text, markdown and HTML renderers. */
import { displayBytes } from '../inventory/format.js';


/**
 * A key (or any byte string) for display, the same way everywhere in rdbscope: printable UTF-8 as it is,
 * anything else redis-cli style in double quotes with \xNN escapes ("a\n\xff").
 */
export function escapeBytes(bytes: Uint8Array | string): string {
  return displayBytes(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
}

/** Bytes in binary units, labelled as such (KiB = 1,024 bytes, MiB, GiB, TiB). */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** An integer with thousands separators: 1,234,567. */
export function fmtInt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A share as a percentage with one decimal: 12.5 %. */
export function fmtPct(part: number, whole: number): string {
  return whole > 0 ? `${((part * 100) / whole).toFixed(1)} %` : '-';
}

/** Left-aligned first column, right-aligned others; `align` overrides with 'l'/'r' per column. */
export function table(head: string[], rows: string[][], align?: string): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const al = (i: number): string => align?.[i] ?? (i === 0 ? 'l' : 'r');
  const line = (cells: string[]): string =>
    cells.map((c, i) => (al(i) === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
