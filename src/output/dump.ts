/**
 * `rdbscope dump` output: one record per key in file order, as JSON lines or CSV. Filters (db, type, glob) are
 * decided at the key's start, so skipped keys cost no output work.
 */
import type { KeyHeader, KeyRecord, RdbHandler, RedisType, Scalar, StreamConsumer, StreamGroup, StreamId, StreamPendingEntry } from '../decode/model.js';
import { OutputSink } from './sink.js';
import { base64, csvField, globToRegExp, latin1, utf8OrNull } from './text.js';
import { ValueJsonWriter } from './values.js';
import { Spool } from './spool.js';

/** A CSV value cell up to this size is built as one string; a bigger one is written from its spool in pieces. */
const CELL_IN_ONE_STRING = 1 << 20;

/**
 * An integer as its exact decimal digits (null as null). Beyond 2^53, String() would print a rounded form
 * (-2^63 as -9223372036854776000); BigInt prints the number the double holds.
 */
export function intText(n: number | null): string {
  if (n === null) return 'null';
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? String(n) : BigInt(n).toString();
}

export interface DumpFilter {
  readonly db?: number;
  readonly type?: RedisType;
  readonly match?: string;
}

export interface DumpWriterOptions {
  readonly format: 'jsonl' | 'csv';
  readonly values: boolean;
  readonly filter: DumpFilter;
  /** The memory estimate of the key just ended. */
  readonly memoryOf: () => number;
}

export const CSV_COLUMNS = [
  'db', 'key', 'key_base64', 'type', 'encoding', 'length', 'expires_at_ms', 'idle_s', 'freq', 'rdb_bytes', 'memory',
] as const;

export class DumpWriter implements RdbHandler {
  readonly sink = new OutputSink();
  private active = false;
  private readonly match: RegExp | null;
  /** CSV: the value's JSON, which can only be written after the memory column (a spool: it may be big). */
  private cell = new Spool();
  private readonly value: ValueJsonWriter | null;
  written = 0;

  constructor(private readonly opts: DumpWriterOptions) {
    this.match = opts.filter.match ? globToRegExp(opts.filter.match) : null;
    const valueOut = opts.format === 'jsonl' ? (s: string) => this.sink.write(s) : (s: string) => this.cell.write(s);
    this.value = opts.values ? new ValueJsonWriter(valueOut) : null;
    if (opts.format === 'csv') this.sink.write(`${[...CSV_COLUMNS, ...(opts.values ? ['value'] : [])].join(',')}\n`);
  }

  beginKey(h: KeyHeader): void {
    const f = this.opts.filter;
    this.active =
      (f.db === undefined || f.db === h.db) &&
      (f.type === undefined || f.type === h.type) &&
      (this.match === null || this.match.test(latin1(h.key)));
    if (!this.active || !this.value) return;
    this.cell.reset();
    if (this.opts.format === 'jsonl') {
      this.sink.write(`{${keyJson(h)},"type":"${h.type}","value":`);
    }
    this.value.start(h.type);
  }

  stringValue(len: number, v: Scalar | null): void {
    if (this.active) this.value?.stringValue(len, v);
  }
  /** Only with --values (else the parser has no values to give): a big string's pieces; skipped for a filtered-out key. */
  stringChunk(piece: Uint8Array): void {
    if (this.active) this.value?.stringChunk(piece);
  }
  listItem(v: Scalar): void {
    if (this.active) this.value?.listItem(v);
  }
  setMember(v: Scalar): void {
    if (this.active) this.value?.setMember(v);
  }
  zsetMember(m: Scalar, s: number): void {
    if (this.active) this.value?.zsetMember(m, s);
  }
  hashField(f: Scalar, v: Scalar, ttl: number | null): void {
    if (this.active) this.value?.hashField(f, v, ttl);
  }
  streamEntry(id: StreamId, fields: Scalar[]): void {
    if (this.active) this.value?.streamEntry(id, fields);
  }
  streamPending(e: StreamPendingEntry): void {
    if (this.active) this.value?.streamPending(e);
  }
  streamGroup(g: StreamGroup): void {
    if (this.active) this.value?.streamGroup(g);
  }
  streamConsumer(c: StreamConsumer): void {
    if (this.active) this.value?.streamConsumer(c);
  }

  endKey(rec: KeyRecord): void {
    if (!this.active) return;
    this.written++;
    const memory = this.opts.memoryOf();
    const extra = this.value ? this.value.finish() : false;
    if (this.opts.format === 'jsonl') {
      const tail =
        `"encoding":${JSON.stringify(rec.encoding)},"length":${rec.length},"expires_at_ms":${intText(rec.expiresAtMs)},` +
        `${rec.idleS !== null ? `"idle_s":${rec.idleS},` : ''}${rec.freq !== null ? `"freq":${rec.freq},` : ''}` +
        `"rdb_bytes":${rec.rdbBytes},"memory":${memory}`;
      if (this.value) this.sink.write(`,${tail}}\n`);
      else this.sink.write(`{${keyJson(rec)},"type":"${rec.type}",${tail}}\n`);
      return;
    }
    const text = utf8OrNull(rec.key);
    const cols = [
      String(rec.db), text === null ? '' : csvField(text), text === null ? base64(rec.key) : '', rec.type,
      csvField(rec.encoding), String(rec.length), rec.expiresAtMs === null ? '' : intText(rec.expiresAtMs),
      rec.idleS === null ? '' : String(rec.idleS), rec.freq === null ? '' : String(rec.freq), String(rec.rdbBytes),
      String(memory),
    ];
    if (!this.value) {
      this.sink.write(`${cols.join(',')}\n`);
      return;
    }
    if (this.cell.size <= CELL_IN_ONE_STRING) {
      const v = this.cell.text();
      cols.push(csvField(extra ? `{"value":${v}}` : v));
      this.sink.write(`${cols.join(',')}\n`);
      return;
    }
    // A big value: the quoted cell written piece by piece (its JSON always holds a quote, so it is always quoted).
    this.sink.write(`${cols.join(',')},"${extra ? '{""value"":' : ''}`);
    const d = new TextDecoder();
    this.cell.read((b) => this.sink.write(d.decode(b, { stream: true }).replace(/"/g, '""')));
    this.sink.write(`${d.decode().replace(/"/g, '""')}${extra ? '}' : ''}"\n`);
    this.cell.close();
  }
}

/** `"db":N,"key":"..."` or `"db":N,"key_base64":"..."` for keys that are not UTF-8. */
function keyJson(h: KeyHeader): string {
  const text = utf8OrNull(h.key);
  return `"db":${h.db},${text === null ? `"key_base64":"${base64(h.key)}"` : `"key":${JSON.stringify(text)}`}`;
}
