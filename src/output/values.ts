/**
 * Turns a key's element callbacks into the JSON text of its value, piece by piece, so `dump --values` can stream a
 * large collection instead of holding it. Shapes: string -> string; list/set -> array; zset -> [[member, score]];
 * hash -> object (plus field TTLs kept aside); stream -> {entries, groups}; module -> null.
 */
import type { RdbHandler, RedisType, Scalar, StreamConsumer, StreamGroup, StreamId, StreamPendingEntry } from '../decode/model.js';
import { Spool } from './spool.js';
import { base64, scalarJson, scalarKeyJson, utf8OrNull } from './text.js';

const idText = (id: StreamId): string => `${id.ms}-${id.seq}`;

/** A score as JSON: a number, or "inf" / "-inf" / "nan" as Redis writes them. */
function scoreJson(s: number): string {
  if (Number.isFinite(s)) return String(s);
  return s > 0 ? '"inf"' : s < 0 ? '"-inf"' : '"nan"';
}

export class ValueJsonWriter implements RdbHandler {
  private first = true;
  private type: RedisType = 'string';
  private fieldTtls: string[] = [];
  private groups: string[] = [];
  private pending: string[] = [];
  /** PEL entries are reported before the group they belong to: they are collected here and taken by the group. */
  private group: { g: StreamGroup; pending: string[]; consumers: string[] } | null = null;
  /** For strings that are not UTF-8: the value goes to `value_base64` instead. */
  stringBase64: string | null = null;
  /** A big string coming in pieces (see stringChunk), while it comes and, when it is not UTF-8, until finish. */
  private big: Spool | null = null;
  private bigDecoder: TextDecoder | null = null;
  private bigUtf8 = true;

  constructor(private readonly out: (s: string) => void) {}

  start(type: RedisType): void {
    this.type = type;
    this.first = true;
    this.fieldTtls = [];
    this.groups = [];
    this.pending = [];
    this.group = null;
    this.stringBase64 = null;
    this.big?.close();
    this.big = null;
    if (type === 'list' || type === 'set' || type === 'zset') this.out('[');
    else if (type === 'hash') this.out('{');
    else if (type === 'stream') this.out('{"entries":[');
  }

  private sep(): void {
    if (this.first) this.first = false;
    else this.out(',');
  }

  /** A piece of a big string: kept aside (an unlinked temporary file past 1 MiB), checked for UTF-8 as it comes. */
  stringChunk(piece: Uint8Array): void {
    if (this.big === null) {
      this.big = new Spool();
      this.bigDecoder = new TextDecoder('utf-8', { fatal: true });
      this.bigUtf8 = true;
    }
    this.big.write(piece);
    if (this.bigUtf8) {
      try {
        this.bigDecoder!.decode(piece, { stream: true });
      } catch {
        this.bigUtf8 = false;
      }
    }
  }

  /** The big string, after its last piece: as a JSON string written piece by piece, or (not UTF-8) base64 at finish. */
  private bigString(): void {
    const big = this.big!;
    if (this.bigUtf8) {
      try {
        this.bigDecoder!.decode(); // a sequence cut at the very end
      } catch {
        this.bigUtf8 = false;
      }
    }
    if (!this.bigUtf8) {
      this.out('null');
      return;
    }
    const d = new TextDecoder();
    this.out('"');
    big.read((b) => this.out(JSON.stringify(d.decode(b, { stream: true })).slice(1, -1)));
    this.out(`${JSON.stringify(d.decode()).slice(1, -1)}"`);
    big.close();
    this.big = null;
  }

  stringValue(_len: number, value: Scalar | null): void {
    if (value === null && this.big !== null) this.bigString();
    else if (value === null) this.out('null');
    else if (value instanceof Uint8Array && utf8OrNull(value) === null) {
      this.stringBase64 = base64(value);
      this.out('null');
    } else this.out(scalarJson(value));
  }

  listItem(v: Scalar): void {
    this.sep();
    this.out(scalarJson(v));
  }

  setMember(v: Scalar): void {
    this.listItem(v);
  }

  zsetMember(member: Scalar, score: number): void {
    this.sep();
    this.out(`[${scalarJson(member)},${scoreJson(score)}]`);
  }

  hashField(field: Scalar, value: Scalar, expiresAtMs: number | null): void {
    this.sep();
    const k = scalarKeyJson(field);
    this.out(`${k}:${scalarJson(value)}`);
    if (expiresAtMs !== null) this.fieldTtls.push(`${k}:${expiresAtMs}`);
  }

  streamEntry(id: StreamId, fields: Scalar[]): void {
    this.sep();
    const parts: string[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) parts.push(`${scalarKeyJson(fields[i]!)}:${scalarJson(fields[i + 1]!)}`);
    this.out(`{"id":"${idText(id)}","fields":{${parts.join(',')}}}`);
  }

  streamPending(e: StreamPendingEntry): void {
    this.pending.push(`{"id":"${idText(e.id)}","delivery_time_ms":${e.deliveryTimeMs},"delivery_count":${e.deliveryCount}}`);
  }

  streamGroup(g: StreamGroup): void {
    this.closeGroup();
    this.group = { g, pending: this.pending, consumers: [] };
    this.pending = [];
  }

  streamConsumer(c: StreamConsumer): void {
    this.group?.consumers.push(
      `{"name":${scalarJson(c.name)},"seen_time_ms":${c.seenTimeMs},"active_time_ms":${c.activeTimeMs ?? 'null'},"pending":${c.pending}}`,
    );
  }

  private closeGroup(): void {
    if (!this.group) return;
    const { g, pending, consumers } = this.group;
    this.groups.push(
      `{"name":${scalarJson(g.name)},"last_id":"${idText(g.lastId)}","entries_read":${g.entriesRead ?? 'null'},` +
        `"pending":[${pending.join(',')}],"consumers":[${consumers.join(',')}]}`,
    );
    this.group = null;
  }

  /**
   * Closes the value and writes the extra JSON members that follow it (`,"field_expires_at_ms":{...}`,
   * `,"value_base64":"..."`); returns whether there were any.
   */
  finish(): boolean {
    switch (this.type) {
      case 'list':
      case 'set':
      case 'zset':
        this.out(']');
        break;
      case 'hash':
        this.out('}');
        break;
      case 'stream':
        this.closeGroup();
        this.out(`],"groups":[${this.groups.join(',')}]}`);
        break;
      case 'module':
        this.out('null');
        break;
      default:
    }
    let extra = false;
    if (this.fieldTtls.length > 0) {
      this.out(`,"field_expires_at_ms":{${this.fieldTtls.join(',')}}`);
      extra = true;
    }
    if (this.stringBase64 !== null) {
      this.out(`,"value_base64":"${this.stringBase64}"`);
      extra = true;
    } else if (this.big !== null) {
      // a big string that is not UTF-8: base64 of 48 KiB at a time (a multiple of 3 bytes: the pieces join up)
      this.out(',"value_base64":"');
      this.big.read((b) => this.out(b.toString('base64')), 48 * 1024);
      this.out('"');
      this.big.close();
      this.big = null;
      extra = true;
    }
    return extra;
  }
}
