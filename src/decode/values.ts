/**
 * Reads one key's value, type by type (rdb.c rdbLoadObject), reporting elements to the handler as they are read.
 * Nothing here holds a whole collection: hashtable-encoded values are streamed element by element, and compact
 * blobs (one string each, bounded by maxStringBytes) are walked in place.
 */
import { BlobError, walkIntset, walkListpack, walkZiplist, walkZipmap, type EntrySink } from './blobs.js';
import { DecodeFault } from './errors.js';
import type { BlobKind, RdbHandler, Scalar } from './model.js';
import { ModuleOpcode, RdbType, moduleNameFromId } from './opcodes.js';
import { lzfDecompressPrefix } from './lzf.js';
import { StrKind, decimalLength, type ByteReader } from './reader.js';
import { readStream } from './stream.js';

/** Per-key results, reset for every key. */
export interface ValueState {
  encoding: string;
  length: number;
  largest: number;
  fieldTtls: number;
  minFieldExpire: number | null;
  moduleName: string | null;
  scoreMin: number | null;
  scoreMax: number | null;
  /** Bytes of this key's value the handler asked for (valueSampleBytes), 0: none. */
  sample: number;
}

export interface ValueContext {
  readonly r: ByteReader;
  readonly h: RdbHandler;
  readonly values: boolean;
  readonly valkey: boolean;
  readonly version: number;
  readonly sampleBytes: number;
  /** Strings longer than this go to h.stringChunk in pieces (Infinity: never). */
  readonly streamStringBytes: number;
  readonly fieldNames: boolean;
  readonly st: ValueState;
}

/** Strings up to this length are materialized even without values (any longer one cannot be an integer). */
const SHORT_STRING = 20;

const utf8 = new TextDecoder();
const EMBSTR_MAX = 44;
/** Largest quicklist plain node read for a value sample (a larger one is skipped, as without sampling). */
const PLAIN_SAMPLE_MAX = 1 << 20;

/** The encoding the server picks for a string value (object.c tryObjectEncoding). */
function stringEncoding(ctx: ValueContext, len: number, value: Scalar | null): string {
  if (typeof value === 'number') return 'int';
  if (value instanceof Uint8Array && len <= 20 && isCanonicalInt(value)) return 'int';
  return len <= (ctx.version >= 7 ? EMBSTR_MAX : 39) ? 'embstr' : 'raw';
}

/** string2ll's rule: optional '-', no leading zeros, fits in int64. */
function isCanonicalInt(b: Uint8Array): boolean {
  const n = b.length;
  if (n === 0) return false;
  let i = b[0] === 0x2d ? 1 : 0;
  if (i === n) return false;
  if (b[i] === 0x30 && n > i + 1) return false;
  if (b[i] === 0x30 && i === 1) return false; // "-0"
  for (; i < n; i++) if (b[i]! < 0x30 || b[i]! > 0x39) return false;
  const v = BigInt(utf8.decode(b));
  return v >= -(2n ** 63n) && v < 2n ** 63n;
}

function readString(ctx: ValueContext): void {
  const { r, h, st } = ctx;
  r.stringHeader('string value');
  const len = r.strLen;
  const want = st.sample > ctx.sampleBytes ? st.sample : ctx.sampleBytes;
  const sample = want > 0 && len > SHORT_STRING && h.stringSample ? Math.min(len, want) : 0;
  let value: Scalar | null = null;
  if (r.strKind === StrKind.Int) value = r.strInt;
  else if (ctx.values && len > ctx.streamStringBytes) {
    let first = true;
    r.streamStringBody('string value', (piece) => {
      if (first && sample > 0) h.stringSample!(piece.subarray(0, sample), len);
      first = false;
      h.stringChunk!(piece);
    });
  } else if (ctx.values || len <= SHORT_STRING) {
    value = r.stringBody('string value');
    if (sample > 0) h.stringSample!(value.subarray(0, sample), len);
  } else if (sample > 0 && r.strKind === StrKind.Raw) {
    h.stringSample!(r.view(sample, 'string value'), len);
    r.skip(len - sample, 'string value');
  } else if (sample > 0) {
    const take = Math.min(r.strStored, sample);
    const out = new Uint8Array(sample);
    const got = lzfDecompressPrefix(r.view(take, 'string value'), out);
    h.stringSample!(out.subarray(0, got), len);
    r.skip(r.strStored - take, 'string value');
  } else r.skipStringBody('string value');
  st.encoding = stringEncoding(ctx, len, value);
  st.length = len;
  st.largest = len;
  h.stringValue?.(len, value);
}

function scalarLen(v: Scalar): number {
  return v instanceof Uint8Array ? v.length : decimalLength(v);
}

/** A score stored as text (listpack/ziplist entries, RDB v1 zsets): strtod's forms, including inf and nan. */
function parseScore(text: string): number {
  const n = Number(text);
  if (n === n) return n; // eslint-disable-line no-self-compare -- the fast path: not NaN
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return t === 'nan' ? NaN : parseFloat(t);
}

function noteScore(st: ValueState, score: number): void {
  if (Number.isNaN(score)) return;
  if (st.scoreMin === null || score < st.scoreMin) st.scoreMin = score;
  if (st.scoreMax === null || score > st.scoreMax) st.scoreMax = score;
}

/** A score stored as text inside a blob, read without making a view (scores are short ASCII). */
function scoreAt(blob: Uint8Array, at: number, len: number): number {
  let t = '';
  for (let i = at; i < at + len; i++) t += String.fromCharCode(blob[i]!);
  return parseScore(t);
}

/** Reads one compact blob and walks it with the sink; returns the walker's entry count. */
function readBlob(
  ctx: ValueContext,
  kind: BlobKind,
  sink: EntrySink | null,
  report = true,
  wantValues = ctx.values,
): { count: number; bytes: number; stored: number } {
  const { r } = ctx;
  r.stringHeader(`${kind} blob`);
  const at = r.offset;
  const stored = r.strKind === StrKind.Lzf ? r.strStored : r.strLen;
  const bytes = r.strLen;
  const blob = r.transientBody(`${kind} blob`);
  const walk = kind === 'listpack' ? walkListpack : kind === 'ziplist' ? walkZiplist : kind === 'intset' ? walkIntset : walkZipmap;
  let count: number;
  try {
    count = walk(blob, wantValues, sink);
  } catch (e) {
    if (e instanceof BlobError) {
      const where = r.strKind === StrKind.Lzf ? `byte ${e.at} of the decompressed ${kind}` : `${kind}`;
      throw new DecodeFault(r.strKind === StrKind.Lzf ? at : at + e.at, `${where}: expected ${e.message}`);
    }
    throw e;
  }
  if (report) ctx.h.blob?.(kind, bytes, count);
  return { count, bytes, stored };
}

/** A sink that pairs entries (hash field/value, zset member/score) or tuples of three (field, value, TTL). */
function tupleSink(ctx: ValueContext, width: 2 | 3, kind: 'hash' | 'zset'): EntrySink {
  const { st, h } = ctx;
  let a: Scalar | null = null;
  let b: Scalar | null = null;
  let aLen = 0;
  let bLen = 0;
  let i = 0;
  return (v, len, at, blob) => {
    const slot = i++ % width;
    if (slot === 0) {
      a = v;
      aLen = len;
      if (kind === 'hash' && ctx.fieldNames && v !== null) h.hashFieldName!(v);
      if (kind === 'zset' && len > st.largest) st.largest = len;
      if (kind === 'zset' && st.sample > 0 && v !== null) h.elementSample!(v);
      return;
    }
    if (slot === 1 && width === 3) {
      b = v;
      bLen = len;
      return;
    }
    if (kind === 'zset') {
      const score = at < 0 ? Number(v) : scoreAt(blob, at, len);
      noteScore(st, score);
      if (ctx.values) h.zsetMember?.(a!, score);
      return;
    }
    let value = v;
    let valueLen = len;
    let ttl: number | null = null;
    if (width === 3) {
      value = b;
      valueLen = bLen;
      const t = at < 0 ? Number(v) : Number(scoreAt(blob, at, len));
      if (t !== 0) {
        ttl = t;
        st.fieldTtls++;
        if (st.minFieldExpire === null || t < st.minFieldExpire) st.minFieldExpire = t;
      }
    }
    if (aLen + valueLen > st.largest) st.largest = aLen + valueLen;
    if (st.sample > 0 && value !== null) h.elementSample!(value);
    if (ctx.values) h.hashField?.(a!, value!, ttl);
  };
}

function itemSink(ctx: ValueContext, emit: ((v: Scalar) => void) | undefined): EntrySink {
  const { st, h } = ctx;
  return (v, len) => {
    if (len > st.largest) st.largest = len;
    if (emit && v !== null) emit(v);
    if (st.sample > 0 && v !== null) h.elementSample!(v);
  };
}

function readQuicklist(ctx: ValueContext, v2: boolean): void {
  const { r, h, st } = ctx;
  const nodes = r.length('quicklist node count');
  const sink = itemSink(ctx, ctx.values ? h.listItem?.bind(h) : undefined);
  let entries = 0;
  let packedNodes = 0;
  for (let i = 0; i < nodes; i++) {
    const container = v2 ? r.length('quicklist node container') : 2;
    if (container === 1) {
      r.stringHeader('quicklist plain node');
      const len = r.strLen;
      const stored = r.strKind === StrKind.Lzf ? r.strStored : len;
      if (ctx.values) h.listItem?.(r.stringScalar('quicklist plain node'));
      else if (st.sample > 0 && len <= PLAIN_SAMPLE_MAX) h.elementSample!(r.stringScalar('quicklist plain node'));
      else r.skipStringBody('quicklist plain node');
      if (len > st.largest) st.largest = len;
      entries++;
      h.quicklistNode?.('plain', len, 1, stored);
      continue;
    }
    if (container !== 2) throw r.fault(`quicklist node container 1 (plain) or 2 (packed), got ${container}`);
    // An empty node is skipped by the server on load (rdb.c: "empty keys skipped"); count it as nothing.
    const blob = readBlob(ctx, v2 ? 'listpack' : 'ziplist', sink, false, ctx.values || st.sample > 0);
    entries += blob.count;
    packedNodes++;
    h.quicklistNode?.('packed', blob.bytes, blob.count, blob.stored);
  }
  st.length = entries;
  // Redis 7.2+ keeps a small list (one packed node) as a plain listpack (t_list.c listTypeTryConversion).
  st.encoding = v2 && ctx.version >= 11 && nodes === 1 && packedNodes === 1 ? 'listpack' : 'quicklist';
}

function readModule(ctx: ValueContext): void {
  const { r, h, st } = ctx;
  const start = r.offset;
  const { name, version } = moduleNameFromId(r.lengthBig('module id'));
  skipModuleOpcodes(r, `module ${name} value`);
  st.encoding = name;
  st.moduleName = name;
  h.moduleValue?.(name, version, r.offset - start);
}

/** Passes over a module's self-describing value (RDB_MODULE_OPCODE_* items up to EOF). */
export function skipModuleOpcodes(r: ByteReader, what: string): void {
  for (;;) {
    const at = r.offset;
    const op = r.length(what);
    switch (op) {
      case ModuleOpcode.Eof:
        return;
      case ModuleOpcode.Sint:
      case ModuleOpcode.Uint:
        r.lengthBig(what);
        break;
      case ModuleOpcode.Float:
        r.skip(4, what);
        break;
      case ModuleOpcode.Double:
        r.skip(8, what);
        break;
      case ModuleOpcode.String:
        r.stringHeader(what);
        r.skipStringBody(what);
        break;
      default:
        throw r.fault(`${what}: a module opcode 0-5, got ${op}`, at);
    }
  }
}

function readHashtableHash(ctx: ValueContext, ttlForm: 'none' | 'absolute' | 'relative' | 'valkey'): void {
  const { r, h, st } = ctx;
  const minExpire = ttlForm === 'relative' ? r.i64le('hash min field expiry') : 0;
  const n = r.length('hash field count');
  for (let i = 0; i < n; i++) {
    let ttl: number | null = null;
    if (ttlForm === 'absolute' || ttlForm === 'relative') {
      const t = r.length('hash field TTL');
      if (t !== 0) ttl = ttlForm === 'absolute' ? t : t + minExpire - 1;
    }
    // keep(): the value's body and (Valkey hash2) the 8-byte expiry after it may each refill the window once.
    const field = r.keep(r.scalar('hash field'));
    const value = r.scalar('hash value');
    if (ttlForm === 'valkey') {
      const t = r.i64le('hash field expiry');
      if (t >= 0) ttl = t;
    }
    if (ttl !== null) {
      st.fieldTtls++;
      if (st.minFieldExpire === null || ttl < st.minFieldExpire) st.minFieldExpire = ttl;
    }
    const len = scalarLen(field) + scalarLen(value);
    if (len > st.largest) st.largest = len;
    if (ctx.fieldNames) h.hashFieldName!(field);
    if (st.sample > 0) h.elementSample!(value);
    h.hashField?.(field, value, ttl);
  }
  st.length = n;
  st.encoding = 'hashtable';
}

function readCollection(ctx: ValueContext, emit: ((v: Scalar) => void) | undefined, what: string): void {
  const { r, st } = ctx;
  const n = r.length(`${what} count`);
  for (let i = 0; i < n; i++) {
    const v = r.scalar(what);
    const len = scalarLen(v);
    if (len > st.largest) st.largest = len;
    emit?.(v);
    if (st.sample > 0) ctx.h.elementSample!(v);
  }
  st.length = n;
}

function readSkiplistZset(ctx: ValueContext, binary: boolean): void {
  const { r, h, st } = ctx;
  const n = r.length('zset member count');
  for (let i = 0; i < n; i++) {
    const member = r.keep(r.scalar('zset member'));
    let score: number;
    if (binary) score = r.f64le('zset score');
    else {
      const l = r.u8('zset score length');
      if (l === 253) score = NaN;
      else if (l === 254) score = Infinity;
      else if (l === 255) score = -Infinity;
      else score = parseScore(utf8.decode(r.view(l, 'zset score')));
    }
    const len = scalarLen(member);
    if (len > st.largest) st.largest = len;
    noteScore(st, score);
    if (st.sample > 0) h.elementSample!(member);
    h.zsetMember?.(member, score);
  }
  st.length = n;
  st.encoding = 'skiplist';
}

/** Reads the value of RDB type `t` into ctx.st, calling the handler's element callbacks. */
export function readValue(ctx: ValueContext, t: number): void {
  const { r, h, st } = ctx;
  switch (t) {
    case RdbType.String:
      return readString(ctx);
    case RdbType.List:
      st.encoding = 'linkedlist';
      return readCollection(ctx, h.listItem?.bind(h), 'list item');
    case RdbType.Set:
      st.encoding = 'hashtable';
      return readCollection(ctx, h.setMember?.bind(h), 'set member');
    case RdbType.Zset:
    case RdbType.Zset2:
      return readSkiplistZset(ctx, t === RdbType.Zset2);
    case RdbType.Hash:
      return readHashtableHash(ctx, 'none');
    case RdbType.ModulePreGA:
      throw r.fault('a module value of type 7: type 6 (Redis 4.0 RC modules) cannot be read without the module');
    case RdbType.Module2:
      return readModule(ctx);
    case RdbType.HashZipmap:
      st.encoding = 'zipmap';
      st.length = readBlob(ctx, 'zipmap', tupleSink(ctx, 2, 'hash'), true, ctx.values || st.sample > 0 || ctx.fieldNames).count / 2;
      return;
    case RdbType.ListZiplist:
      st.encoding = 'ziplist';
      st.length = readBlob(ctx, 'ziplist', itemSink(ctx, ctx.values ? h.listItem?.bind(h) : undefined), true, ctx.values || st.sample > 0).count;
      return;
    case RdbType.SetIntset:
    case RdbType.SetListpack: {
      const kind = t === RdbType.SetIntset ? 'intset' : 'listpack';
      st.encoding = kind;
      st.length = readBlob(ctx, kind, itemSink(ctx, ctx.values ? h.setMember?.bind(h) : undefined), true, ctx.values || st.sample > 0).count;
      return;
    }
    case RdbType.ZsetZiplist:
    case RdbType.ZsetListpack:
    case RdbType.HashZiplist:
    case RdbType.HashListpack: {
      const kind = t === RdbType.ZsetZiplist || t === RdbType.HashZiplist ? 'ziplist' : 'listpack';
      const zset = t === RdbType.ZsetZiplist || t === RdbType.ZsetListpack;
      const sink = tupleSink(ctx, 2, zset ? 'zset' : 'hash');
      // Field names are entries: walk with values when they are wanted (scores are read in place).
      const { count } = readBlob(ctx, kind, sink, true, ctx.values || st.sample > 0 || (!zset && ctx.fieldNames));
      if (count % 2 !== 0) throw r.fault(`${kind} with an even number of entries (pairs), got ${count}`);
      st.encoding = kind;
      st.length = count / 2;
      return;
    }
    case RdbType.ListQuicklist:
    case RdbType.ListQuicklist2:
      return readQuicklist(ctx, t === RdbType.ListQuicklist2);
    case RdbType.StreamListpacks:
    case RdbType.StreamListpacks2:
    case RdbType.StreamListpacks3:
      return readStream(ctx, t);
    case RdbType.HashMetadataPreGA:
      return readHashtableHash(ctx, ctx.valkey ? 'valkey' : 'absolute');
    case RdbType.HashMetadata:
      if (ctx.valkey) break;
      return readHashtableHash(ctx, 'relative');
    case RdbType.HashListpackExPreGA:
    case RdbType.HashListpackEx: {
      if (ctx.valkey) break;
      if (t === RdbType.HashListpackEx) r.i64le('hash min field expiry');
      const { count } = readBlob(ctx, 'listpack', tupleSink(ctx, 3, 'hash'), true, ctx.values || st.sample > 0 || ctx.fieldNames);
      if (count % 3 !== 0) throw r.fault(`listpack with field/value/TTL triplets, got ${count} entries`);
      st.encoding = 'listpackex';
      st.length = count / 3;
      return;
    }
    case RdbType.StreamListpacks4:
      if (ctx.valkey) break;
      return readStream(ctx, t);
  }
  throw r.fault(`a value type known for ${ctx.valkey ? 'VALKEY' : 'REDIS'} RDB ${ctx.version}, got type ${t}`);
}
