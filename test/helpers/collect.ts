/**
 * An RdbHandler that collects everything the decoder reports into plain JS values, for tests: strings as Buffer,
 * lists and sets as arrays, zsets as [member, score], hashes as [field, value, expiry], streams with entries,
 * groups, consumers and PEL. Scalars that the RDB stored as integers become their decimal text.
 */
import type {
  DumpSummary, FunctionLibrary, KeyRecord, Magic, ModuleAux, RdbHandler, Scalar, StreamConsumer, StreamGroup,
  StreamId, StreamMeta, StreamPendingEntry,
} from '../../src/decode/model.js';
import { parseChunks, parseFile, RdbError } from '../../src/decode/index.js';

export interface CollectedStream {
  entries: Array<{ id: string; fields: Buffer[] }>;
  meta: StreamMeta | null;
  groups: StreamGroup[];
  consumers: StreamConsumer[];
  pending: StreamPendingEntry[];
  nodes: number;
}

export interface CollectedKey {
  record: KeyRecord;
  /** String value (null when the decoder did not materialize it). */
  str: Buffer | null;
  strLen: number | null;
  list: Buffer[];
  set: Buffer[];
  zset: Array<[Buffer, number]>;
  hash: Array<[Buffer, Buffer, number | null]>;
  stream: CollectedStream | null;
  module: { name: string; version: number; bytes: number } | null;
}

export interface Collected {
  magic: Magic | null;
  version: number | null;
  aux: Map<string, Buffer>;
  keys: CollectedKey[];
  functions: FunctionLibrary[];
  moduleAux: ModuleAux[];
  slotInfo: Array<[number, number, number]>;
  resizeDb: Array<[number, number, number]>;
  summary: DumpSummary | null;
  /** Callback-order violations seen (element outside beginKey/endKey and the like). */
  problems: string[];
}

/** The bytes of a scalar: integers as their decimal text. Always an owned copy. */
export function scalarBytes(v: Scalar): Buffer {
  return typeof v === 'number' || typeof v === 'bigint' ? Buffer.from(String(v)) : Buffer.from(v);
}

export function streamIdText(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

interface Pending {
  key: Partial<CollectedKey>;
  list: Buffer[];
  set: Buffer[];
  zset: Array<[Buffer, number]>;
  hash: Array<[Buffer, Buffer, number | null]>;
  stream: CollectedStream | null;
}

/** A handler plus the result it fills in. */
export function collector(): { handler: RdbHandler; result: Collected } {
  const result: Collected = {
    magic: null, version: null, aux: new Map(), keys: [], functions: [], moduleAux: [], slotInfo: [], resizeDb: [],
    summary: null, problems: [],
  };
  let cur: Pending | null = null;
  let header: { db: number; key: Buffer; offset: number; type: string; expiresAtMs: number | null } | null = null;
  const need = (what: string): Pending => {
    if (cur === null) {
      result.problems.push(`${what} outside a key`);
      cur = { key: {}, list: [], set: [], zset: [], hash: [], stream: null };
    }
    return cur;
  };
  const stream = (what: string): CollectedStream => {
    const p = need(what);
    p.stream ??= { entries: [], meta: null, groups: [], consumers: [], pending: [], nodes: 0 };
    return p.stream;
  };
  const handler: RdbHandler = {
    header(magic, version) { result.magic = magic; result.version = version; },
    aux(name, value) { result.aux.set(name, Buffer.from(value)); },
    resizeDb(db, keys, expires) { result.resizeDb.push([db, keys, expires]); },
    functionLibrary(lib) { result.functions.push({ ...lib, code: Buffer.from(lib.code) }); },
    moduleAux(aux) { result.moduleAux.push(aux); },
    slotInfo(slot, keys, expires) { result.slotInfo.push([slot, keys, expires]); },
    beginKey(h) {
      if (cur !== null) result.problems.push('beginKey inside a key');
      cur = { key: { str: null, strLen: null, module: null }, list: [], set: [], zset: [], hash: [], stream: null };
      header = { db: h.db, key: Buffer.from(h.key), offset: h.offset, type: h.type, expiresAtMs: h.expiresAtMs };
    },
    stringValue(len, value) {
      const p = need('stringValue');
      p.key.strLen = len;
      p.key.str = value === null ? null : scalarBytes(value);
    },
    listItem(v) { need('listItem').list.push(scalarBytes(v)); },
    setMember(v) { need('setMember').set.push(scalarBytes(v)); },
    zsetMember(m, score) { need('zsetMember').zset.push([scalarBytes(m), score]); },
    hashField(f, v, exp) { need('hashField').hash.push([scalarBytes(f), scalarBytes(v), exp]); },
    streamNode() { stream('streamNode').nodes++; },
    streamEntry(id, fields) { stream('streamEntry').entries.push({ id: streamIdText(id), fields: fields.map(scalarBytes) }); },
    streamMeta(meta) { stream('streamMeta').meta = meta; },
    streamGroup(g) { stream('streamGroup').groups.push({ ...g, name: Buffer.from(g.name) }); },
    streamConsumer(c) {
      stream('streamConsumer').consumers.push({ ...c, group: Buffer.from(c.group), name: Buffer.from(c.name) });
    },
    streamPending(e) { stream('streamPending').pending.push({ ...e, group: Buffer.from(e.group) }); },
    moduleValue(name, version, bytes) { need('moduleValue').key.module = { name, version, bytes }; },
    endKey(rec) {
      const p = need('endKey');
      if (header === null) result.problems.push('endKey without beginKey');
      else if (header.db !== rec.db || !header.key.equals(rec.key) || header.offset !== rec.offset
        || header.type !== rec.type || header.expiresAtMs !== rec.expiresAtMs) {
        result.problems.push(`endKey record differs from its beginKey header at offset ${rec.offset}`);
      }
      header = null;
      result.keys.push({
        record: { ...rec, key: Buffer.from(rec.key) },
        str: p.key.str ?? null,
        strLen: p.key.strLen ?? null,
        list: p.list,
        set: p.set,
        zset: p.zset,
        hash: p.hash,
        stream: p.stream,
        module: p.key.module ?? null,
      });
      cur = null;
    },
    end(summary) { result.summary = summary; },
  };
  return { handler, result };
}

/** Checks that `err` is the decoder's clean error: an RdbError with a one-line message naming an in-range offset. */
export function rdbErrorProblem(err: unknown, size: number, name?: string): string | null {
  if (!(err instanceof RdbError)) {
    const at = err instanceof Error ? (err.stack ?? '').split('\n').find((l) => l.includes('/src/'))?.trim() ?? '' : '';
    return `not an RdbError: ${err instanceof Error ? `${err.name}: ${err.message} ${at}` : String(err)}`;
  }
  const msg = err.message;
  if (msg.includes('\n')) return `message is not one line: ${JSON.stringify(msg)}`;
  const m = /^(.+): offset (\d+): (.+)$/.exec(msg);
  if (!m) return `message is not "NAME: offset N: expected ...": ${msg}`;
  if (typeof err.offset !== 'number' || !Number.isInteger(err.offset)) return `.offset is not an integer: ${msg}`;
  if (Number(m[2]) !== err.offset) return `.offset ${err.offset} differs from the message: ${msg}`;
  if (err.offset < 0 || err.offset > size) return `offset ${err.offset} outside the input (${size} bytes): ${msg}`;
  if (name !== undefined && !m[1]!.includes(name)) return `message does not name the input ${name}: ${msg}`;
  return null;
}

export interface Decoded {
  result: Collected;
  summary: DumpSummary;
}

/** Decodes a file with values, collecting everything. Throws what the decoder throws. */
export function decodeFile(path: string, opts: { values?: boolean; checksum?: boolean } = {}): Decoded {
  const { handler, result } = collector();
  const summary = parseFile(path, handler, { values: true, ...opts });
  return { result, summary };
}

/** Decodes in-memory chunks with values, collecting everything. */
export function decodeChunks(chunks: Iterable<Uint8Array>, name = 'test.rdb', opts: { values?: boolean; checksum?: boolean } = {}): Decoded {
  const { handler, result } = collector();
  const summary = parseChunks(chunks, handler, { values: true, ...opts, name });
  return { result, summary };
}
