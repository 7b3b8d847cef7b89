/**
 * Output formats for query results: table, csv, json, jsonl. Keys are bytes: in table and csv a BLOB that is not
 * printable UTF-8 is shown escaped in redis-cli style ("\xff\x00"); in json/jsonl every BLOB column `c` gives
 * `c` (the UTF-8 text, or null when it is not valid UTF-8) and `c_base64` (the exact bytes).
 */
import { isUtf8 } from 'node:buffer';

export type Format = 'table' | 'csv' | 'json' | 'jsonl';
export const FORMATS: readonly Format[] = ['table', 'csv', 'json', 'jsonl'];

export type Cell = null | number | bigint | string | Uint8Array;

const decoder = new TextDecoder();
const CONTROL = /[\x00-\x1f\x7f]/;

/** redis-cli style quoted representation of bytes: "a\"b\n\xff". */
export function escapeBytes(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x22) s += '\\"';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x07) s += '\\a';
    else if (c === 0x08) s += '\\b';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${s}"`;
}

/** Bytes for display: as they are when printable UTF-8, escaped otherwise. */
export function displayBytes(b: Uint8Array): string {
  if (isUtf8(b)) {
    const t = decoder.decode(b);
    if (!CONTROL.test(t)) return t;
  }
  return escapeBytes(b);
}

function displayCell(v: Cell, nullText: string, escapeText: boolean): string {
  if (v === null) return nullText;
  if (v instanceof Uint8Array) return displayBytes(v);
  if (typeof v === 'string') return escapeText && CONTROL.test(v) ? escapeBytes(Buffer.from(v)) : v;
  return String(v);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function jsonValue(v: Cell): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return isUtf8(v) ? JSON.stringify(decoder.decode(v)) : 'null';
}

export interface RowSink {
  row(values: Cell[]): void;
  end(): void;
}

/** Column names made unique (a join may select two `key` columns). */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

function jsonObject(names: string[], values: Cell[]): string {
  const parts: string[] = [];
  names.forEach((n, i) => {
    const v = values[i] ?? null;
    parts.push(`${JSON.stringify(n)}:${jsonValue(v)}`);
    if (v instanceof Uint8Array) parts.push(`${JSON.stringify(`${n}_base64`)}:"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"`);
  });
  return `{${parts.join(',')}}`;
}

/** Table: widths from the first `sample` rows, later rows padded to them (or overflowing). */
class TableSink implements RowSink {
  private buffered: string[][] | null = [];
  private widths: number[] = [];
  private numeric: boolean[];

  constructor(private readonly names: string[], private readonly write: (s: string) => void, private readonly sample = 1000) {
    this.numeric = names.map(() => true);
  }

  row(values: Cell[]): void {
    const cells = values.map((v, i) => {
      if (v !== null && typeof v !== 'number' && typeof v !== 'bigint') this.numeric[i] = false;
      return displayCell(v, 'NULL', true);
    });
    if (this.buffered) {
      this.buffered.push(cells);
      if (this.buffered.length >= this.sample) this.flushBuffered();
    } else this.write(this.line(cells));
  }

  private line(cells: string[]): string {
    return cells.map((c, i) => (this.numeric[i] ? c.padStart(this.widths[i]!) : c.padEnd(this.widths[i]!))).join('  ').trimEnd() + '\n';
  }

  private flushBuffered(): void {
    const rows = this.buffered ?? [];
    this.buffered = null;
    this.widths = this.names.map((n, i) => Math.max(n.length, ...rows.map((r) => [...r[i]!].length)));
    const header = this.names.map((n, i) => (this.numeric[i] ? n.padStart(this.widths[i]!) : n.padEnd(this.widths[i]!)));
    this.write(header.join('  ').trimEnd() + '\n' + this.widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
    for (const r of rows) this.write(this.line(r));
  }

  end(): void {
    if (this.buffered) this.flushBuffered();
  }
}

export function makeSink(format: Format, columns: string[], write: (s: string) => void): RowSink {
  const names = uniqueNames(columns);
  switch (format) {
    case 'table':
      return new TableSink(names, write);
    case 'csv':
      write(names.map(csvField).join(',') + '\n');
      return { row: (v) => write(v.map((c) => csvField(displayCell(c, '', false))).join(',') + '\n'), end: () => {} };
    case 'jsonl':
      return { row: (v) => write(jsonObject(names, v) + '\n'), end: () => {} };
    case 'json': {
      let first = true;
      write('[');
      return {
        row: (v) => {
          write((first ? '\n' : ',\n') + jsonObject(names, v));
          first = false;
        },
        end: () => write(first ? ']\n' : '\n]\n'),
      };
    }
  }
}
