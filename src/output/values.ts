/**
 * Turns a key's element callbacks into the JSON text of its value, piece by piece, so `dump --values` can stream a
 * large collection instead of holding it. Shapes: string -> string; list/set -> array; zset -> [[member, score]];
 * hash -> object (plus field TTLs kept aside); stream -> {entries, groups}; module -> null.
 */
import type { RdbHandler, RedisType, Scalar, StreamConsumer, StreamGroup, StreamId, StreamPendingEntry } from '../decode/model.js';
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

  constructor(private readonly out: (s: string) => void) {}

  start(type: RedisType): void {
    this.type = type;
    this.first = true;
    this.fieldTtls = [];
    this.groups = [];
    this.pending = [];
    this.group = null;
    this.stringBase64 = null;
    if (type === 'list' || type === 'set' || type === 'zset') this.out('[');
    else if (type === 'hash') this.out('{');
    else if (type === 'stream') this.out('{"entries":[');
  }

  private sep(): void {
    if (this.first) this.first = false;
    else this.out(',');
  }

  stringValue(_len: number, value: Scalar | null): void {
    if (value === null) this.out('null');
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

  /** Closes the value; returns extra JSON members (`,"field_expires_at_ms":{...}`) to append to the record. */
  finish(): string {
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
    let extra = this.fieldTtls.length > 0 ? `,"field_expires_at_ms":{${this.fieldTtls.join(',')}}` : '';
    if (this.stringBase64 !== null) extra += `,"value_base64":"${this.stringBase64}"`;
    return extra;
  }
}
