/**
 * Streams (t_stream.c, rdb.c RDB_TYPE_STREAM_LISTPACKS 1-4): a radix tree of listpacks keyed by master entry ID,
 * the stream metadata, then consumer groups with their PEL and consumers; RDB 13 adds IDMP producer data.
 */
import { BlobError, walkListpack } from './blobs.js';
import { DecodeFault } from './errors.js';
import type { Scalar, StreamId } from './model.js';
import { RdbType } from './opcodes.js';
import { StrKind } from './reader.js';
import type { ValueContext } from './values.js';

const utf8 = new TextDecoder();

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

/** Thrown for a stream listpack item that should be an integer and is not. */
class NotAnInteger extends Error {}

function big(v: Scalar): bigint {
  if (typeof v !== 'object') return BigInt(v);
  const s = utf8.decode(v);
  if (!/^-?\d{1,20}$/.test(s)) throw new NotAnInteger(s);
  return BigInt(s);
}

function num(v: Scalar): number {
  return typeof v === 'number' ? v : Number(big(v));
}

function idFrom16(b: Uint8Array): StreamId {
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  return { ms: dv.getBigUint64(0, false), seq: dv.getBigUint64(8, false) };
}

/** Walks one stream listpack: reports the node and, with values, each live entry. */
function readNode(ctx: ValueContext, master: StreamId): void {
  const { r } = ctx;
  r.stringHeader('stream listpack');
  const at = r.offset;
  const lzf = r.strKind === StrKind.Lzf;
  const blob = r.transientBody('stream listpack');
  const items: Scalar[] = [];
  const lens: number[] = [];
  try {
    walkListpack(blob, true, (v, len) => {
      items.push(v!);
      lens.push(len);
    });
  } catch (e) {
    if (e instanceof BlobError) throw new DecodeFault(lzf ? at : at + e.at, `stream listpack: expected ${e.message}`);
    throw e;
  }
  const bad = (what: string): DecodeFault => new DecodeFault(at, `stream listpack: expected ${what}`);
  try {
    walkEntries(ctx, master, items, lens, bad, blob.length);
  } catch (e) {
    if (e instanceof NotAnInteger) throw bad(`an integer item, got ${JSON.stringify(e.message.slice(0, 40))}`);
    throw e;
  }
}

function walkEntries(
  ctx: ValueContext,
  master: StreamId,
  items: Scalar[],
  lens: number[],
  bad: (what: string) => DecodeFault,
  lpBytes: number,
): void {
  const { h, st } = ctx;
  if (items.length < 3) throw bad('a master entry');
  const count = num(items[0]!);
  const deleted = num(items[1]!);
  const nMaster = num(items[2]!);
  let p = 3 + nMaster;
  if (p >= items.length) throw bad('master fields and their terminator');
  const masterFields = items.slice(3, p);
  p++; // the master entry's terminating 0
  h.streamNode?.(lpBytes, count, deleted, nMaster, master);
  while (p < items.length) {
    if (p + 3 > items.length) throw bad('an entry header (flags, ms, seq)');
    const flags = num(items[p]!);
    const ms = master.ms + big(items[p + 1]!);
    const seq = master.seq + big(items[p + 2]!);
    p += 3;
    let fieldCount = nMaster;
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    if (!same) {
      if (p >= items.length) throw bad('an entry field count');
      fieldCount = num(items[p++]!);
    }
    const span = same ? fieldCount : fieldCount * 2;
    if (p + span + 1 > items.length) throw bad('the entry fields and values');
    let size = 0;
    const fields: Scalar[] = [];
    for (let i = 0; i < fieldCount; i++) {
      if (same) {
        fields.push(masterFields[i]!, items[p + i]!);
        size += lens[3 + i]! + lens[p + i]!;
      } else {
        fields.push(items[p + 2 * i]!, items[p + 2 * i + 1]!);
        size += lens[p + 2 * i]! + lens[p + 2 * i + 1]!;
      }
    }
    p += span + 1; // values, then lp-count
    if ((flags & FLAG_DELETED) !== 0) continue;
    if (size > st.largest) st.largest = size;
    if (ctx.values) h.streamEntry?.({ ms, seq }, fields);
  }
}

function readId(ctx: ValueContext, what: string): StreamId {
  const ms = ctx.r.lengthBig(`${what} ms`);
  return { ms, seq: ctx.r.lengthBig(`${what} seq`) };
}

export function readStream(ctx: ValueContext, t: number): void {
  const { r, h, st } = ctx;
  const nodes = r.length('stream listpack count');
  for (let i = 0; i < nodes; i++) {
    r.stringHeader('stream node key');
    if (r.strLen !== 16) throw r.fault(`stream node key of 16 bytes, got ${r.strLen}`);
    const master = idFrom16(r.stringBody('stream node key').slice());
    readNode(ctx, master);
  }
  const length = r.length('stream length');
  const lastId = readId(ctx, 'stream last id');
  let firstId: StreamId | null = null;
  let maxDeletedId: StreamId | null = null;
  let entriesAdded: number | null = null;
  if (t >= RdbType.StreamListpacks2) {
    firstId = readId(ctx, 'stream first id');
    maxDeletedId = readId(ctx, 'stream max deleted id');
    const added = r.lengthBig('stream entries added');
    entriesAdded = added < 2n ** 53n ? Number(added) : null;
  }
  const groups = r.length('stream group count');
  h.streamMeta?.({ length, lastId, firstId, maxDeletedId, entriesAdded, groups });
  for (let g = 0; g < groups; g++) {
    const name = r.string('stream group name').slice();
    const groupLast = readId(ctx, 'stream group last id');
    // entries_read is -1 (saved as 2^64-1) when unknown.
    const rawRead = t >= RdbType.StreamListpacks2 ? r.lengthBig('stream group entries read') : -1n;
    const entriesRead = rawRead >= 0n && rawRead < 2n ** 53n ? Number(rawRead) : null;
    const pending = r.length('stream group PEL size');
    for (let i = 0; i < pending; i++) {
      const id = idFrom16(r.view(16, 'stream PEL entry id').slice());
      const deliveryTimeMs = r.i64le('stream PEL delivery time');
      const deliveryCount = r.length('stream PEL delivery count');
      h.streamPending?.({ group: name, id, deliveryTimeMs, deliveryCount });
    }
    const consumers = r.length('stream consumer count');
    h.streamGroup?.({ name, lastId: groupLast, entriesRead, pending, consumers });
    for (let c = 0; c < consumers; c++) {
      const cname = r.string('stream consumer name').slice();
      const seenTimeMs = r.i64le('stream consumer seen time');
      const activeTimeMs = t >= RdbType.StreamListpacks3 ? r.i64le('stream consumer active time') : null;
      const owned = r.length('stream consumer PEL size');
      r.skip(owned * 16, 'stream consumer PEL ids');
      h.streamConsumer?.({ group: name, name: cname, seenTimeMs, activeTimeMs, pending: owned });
    }
  }
  if (t >= RdbType.StreamListpacks4) readIdmp(ctx);
  st.encoding = 'stream';
  st.length = length;
}

/** RDB 13 idempotent-producer data: config, producers with their (IID, stream ID) entries, then two counters. */
function readIdmp(ctx: ValueContext): void {
  const { r } = ctx;
  r.length('stream IDMP duration');
  r.length('stream IDMP max entries');
  const producers = r.length('stream IDMP producer count');
  for (let p = 0; p < producers; p++) {
    r.stringHeader('stream IDMP producer id');
    r.skipStringBody('stream IDMP producer id');
    const entries = r.length('stream IDMP entry count');
    for (let e = 0; e < entries; e++) {
      r.stringHeader('stream IDMP entry iid');
      r.skipStringBody('stream IDMP entry iid');
      readId(ctx, 'stream IDMP entry id');
    }
  }
  r.length('stream IDMP iids added');
  r.length('stream IDMP iids duplicates');
}
