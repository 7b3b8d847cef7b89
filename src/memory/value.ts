/**
 * Per-value accumulator: receives a key's element callbacks and computes the bytes objectComputeSize() (object.c)
 * would report for the value, following the server version's {@link Layout}. One instance is reused for every key
 * (reset in begin), so nothing is allocated per element or per key.
 */
import type { BlobKind, RedisType, Scalar, StreamId } from '../decode/model.js';
import { RaxCounter } from './rax.js';
import { expectedLevelAlloc, type SizeClass } from './jemalloc.js';
import { sdsAlloc, sdsHdrSize, decimalLength, lpStringEntry, lpIntEntry, LP_OVERHEAD,
  streamRaxUsage, raxNodesEstimate, dictSlotsGrown, dictBuckets } from './cost.js';
import type { Layout } from './layout.js';

/** Requested size of a stream listpack at creation (t_stream.c STREAM_LISTPACK_MAX_PRE_ALLOCATE). */
const STREAM_LP_PREALLOC = 4096;
/** Default list-max-listpack-size -2: 8 KiB per quicklist node (quicklist.c optimization_level). */
const LIST_NODE_LIMIT = 8192;
/** ZSKIPLIST_MAXLEVEL and ZSKIPLIST_P (server.h). */
const ZSL_MAXLEVEL = 32;
const ZSL_P = 0.25;
/** Valkey hashtable.c: 64-byte buckets with 7 entry slots, resized to keep the fill under ~77 %. */
const VK_BUCKET = 64;
const VK_SLOTS = 7;
/** Fallback rax nodes per ID when IDs are not reported: stream master IDs, PEL IDs (see raxNodesEstimate). */
const MASTER_NODES_PER_KEY = 2;
const PEL_NODES_PER_KEY = 1.5;

/** Length of an element as the server stores it (decimal text for integers). Tolerates a missing value (0). */
export function scalarLength(v: Scalar | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' || typeof v === 'bigint' ? decimalLength(v) : v.length;
}

/** True when the server would store this string as OBJ_ENCODING_INT (object.c tryObjectEncoding: len <= 20 and
 * string2l() accepts it: optional '-', no leading zeros, fits a signed 64-bit integer). */
export function isIntEncodable(v: Scalar | null, len: number): boolean {
  if (v === null) return false;
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  if (len === 0 || len > 20) return false;
  let i = 0;
  const neg = v[0] === 45;
  if (neg) { i = 1; if (len === 1) return false; }
  if (v[i] === 48) return len === 1; // "0" only; "-0" and leading zeros are not canonical
  for (let j = i; j < len; j++) if (v[j]! < 48 || v[j]! > 57) return false;
  if (len - i < 19) return true;
  if (len - i > 19) return false;
  // 19 digits: compare with 9223372036854775807 / 9223372036854775808.
  const limit = neg ? '9223372036854775808' : '9223372036854775807';
  for (let j = 0; j < 19; j++) {
    const c = v[i + j]!, l = limit.charCodeAt(j);
    if (c !== l) return c < l;
  }
  return true;
}

/** What raxAllocSize() counts besides the nodes: the rax struct and its root (fitted on Valkey 8.1 and 9 streams). */
const RAX_STRUCT = 40;

/** sizeof(dictEntryNoValue) {key, next} (Valkey 8.0 dict.c). */
const NO_VALUE_ENTRY = 16;

/** Expected entries that share a bucket with an earlier one (all but the first of each non-empty bucket) when `n`
 * keys hash uniformly into `m` buckets: n - m (1 - e^(-n/m)). */
function chainedEntries(n: number, m: number): number {
  return m > 0 ? n - m * (1 - Math.exp(-n / m)) : 0;
}

/** P(X = k) for X ~ Poisson(mean). */
function poisson(mean: number, k: number): number {
  let p = Math.exp(-mean);
  for (let i = 1; i <= k; i++) p *= mean / i;
  return p;
}

/**
 * Buckets a Valkey 8.1+ `hashtable` of `n` entries holds (hashtableMemUsage: both tables and child buckets), grown by
 * single inserts: it doubles when an insert would pass 7 entries a bucket; the old table stays until incremental
 * rehashing (`stepsPerInsert` buckets an insert) has moved it; a bucket hashed more than 7 entries chains child
 * buckets (6 entries stay, 7 more a child), expected over a Poisson spread of the entries.
 */
function valkeyBuckets(n: number, stepsPerInsert: number): number {
  if (n <= 0) return 1;
  let b = 1;
  while (b * VK_SLOTS < n) b *= 2;
  const old = b / 2;
  const rehashing = b > 1 && (n - old * VK_SLOTS) * stepsPerInsert < old;
  const mean = n / b;
  let children = 0;
  // E[ceil((X - 7) / 6)] for X > 7: one child for 8..13, two for 14..19, ...
  for (let k = 8, p = poisson(mean, 7); k < 8 + 6 * 8; k++) {
    p *= mean / k;
    children += p * Math.ceil((k - 7) / 6);
  }
  return b + (rehashing ? old : 0) + b * children;
}

export class ValueSizer {
  private readonly zslNode: number;
  private readonly zslHeader: number;
  // Per-key state.
  private strLen = 0;
  private strInt = false;
  private blobBytes = -1;
  private qlNodes = 0;
  private qlAlloc = 0;
  private qlLastBytes = 0;
  private qlPlain = false;
  // Linked-list items (RDB type 1) repacked into listpack nodes; ignored when real nodes or a blob arrive.
  private llBytes = LP_OVERHEAD;
  private llNodes = 0;
  private llAlloc = 0;
  private n = 0;
  private elemBytes = 0;
  private streamNodes = 0;
  private streamLpAlloc = 0;
  private streamLastLp = 0;
  private streamGroups = 0;
  private allInts = true;
  private maxElem = 0;
  private readonly masters = new RaxCounter();
  private readonly pel = new RaxCounter();
  /** Rax nodes per PEL entry measured on the last group whose PEL IDs were seen, for its consumers' PELs. */
  private pelPerKey = PEL_NODES_PER_KEY;
  private masterPerKey = MASTER_NODES_PER_KEY;

  constructor(private readonly L: Layout, private readonly sc: SizeClass) {
    this.zslNode = expectedLevelAlloc(sc, L.zslNodeBase, L.zslLevel, ZSL_P, ZSL_MAXLEVEL);
    this.zslHeader = this.sc(L.zslNodeBase + L.zslLevel * ZSL_MAXLEVEL);
  }

  private readonly nodeCache: number[] = [];

  /** A stream radix tree as MEMORY USAGE counts it: Redis's fixed per-node formula, or (Valkey 8.1+) raxAllocSize(),
   * the real allocations: the rax struct and nodes of about {@link Layout.raxAllocPerNode} bytes each. */
  private raxUsage(numele: number, nodes: number): number {
    return this.L.raxAllocPerNode > 0 ? RAX_STRUCT + nodes * this.L.raxAllocPerNode : streamRaxUsage(numele, nodes);
  }

  /** Valkey 9 skiplist node with the member embedded: {node, levels, header size byte, member sds}, one allocation
   * whose expected size class is taken over the random level (cached by member length). */
  private embeddedNode(len: number): number {
    const cached = len < 4096 ? this.nodeCache[len] : undefined;
    if (cached !== undefined) return cached;
    const base = this.L.zslNodeBase + 1 + sdsHdrSize(len) + len + 1;
    const v = expectedLevelAlloc(this.sc, base, this.L.zslLevel, ZSL_P, ZSL_MAXLEVEL);
    if (len < 4096) this.nodeCache[len] = v;
    return v;
  }

  begin(): void {
    this.strLen = 0; this.strInt = false; this.blobBytes = -1;
    this.qlNodes = 0; this.qlAlloc = 0; this.qlLastBytes = 0; this.qlPlain = false; this.llBytes = LP_OVERHEAD; this.llNodes = 0; this.llAlloc = 0;
    this.n = 0; this.elemBytes = 0;
    this.streamNodes = 0; this.streamLpAlloc = 0; this.streamLastLp = 0; this.streamGroups = 0;
    this.allInts = true; this.maxElem = 0; this.masters.reset(); this.pel.reset(); this.pelPerKey = PEL_NODES_PER_KEY;
    this.masterPerKey = MASTER_NODES_PER_KEY;
  }

  /** sdsAllocSize() of a tight sds of `len` bytes under this model. */
  sds(len: number): number {
    return this.L.exactSizes && len < 32 ? len + 2 : sdsAlloc(len, this.sc);
  }

  /** The last string value would be OBJ_ENCODING_INT. */
  get stringIsInt(): boolean { return this.strInt; }

  string(len: number, value: Scalar | null): void {
    this.strLen = len;
    this.strInt = isIntEncodable(value, len);
  }

  blob(_kind: BlobKind, bytes: number): void {
    this.blobBytes = bytes;
  }

  quicklistNode(container: 'plain' | 'packed', bytes: number): void {
    this.qlNodes++;
    this.qlAlloc += this.L.compactAsLength ? bytes : this.sc(bytes);
    this.qlLastBytes = bytes;
    if (container === 'plain') this.qlPlain = true;
  }

  /** Linked-list items (RDB type 1, pre-3.2 dumps): repacked into 8 KiB listpack nodes as the loader would. */
  listItem(v: Scalar | null): void {
    if (v === null || v === undefined) return;
    const entry = typeof v === 'number' || typeof v === 'bigint' ? lpIntEntry(v) : lpStringEntry(v.length);
    if (this.llBytes + entry > LIST_NODE_LIMIT && this.llBytes > LP_OVERHEAD) {
      this.llNodes++;
      this.llAlloc += this.sc(this.llBytes);
      this.llBytes = LP_OVERHEAD;
    }
    this.llBytes += entry;
  }

  /** Set member of a hash-table set: dictEntry + the member sds (sdsdup in setTypeAdd). */
  setMember(v: Scalar): void {
    this.n++;
    const len = scalarLength(v);
    if (this.allInts && !isIntEncodable(v, len)) this.allInts = false;
    if (len > this.maxElem) this.maxElem = len;
    this.elemBytes += (this.L.setNoValue ? 0 : this.L.setEntry) + this.sds(len);
  }

  /** zset member: the ele sds (shared by dict and skiplist), a dictEntry and a skiplist node of random level. */
  zsetMember(m: Scalar): void {
    this.n++;
    const len = scalarLength(m);
    if (len > this.maxElem) this.maxElem = len;
    this.elemBytes += this.L.dictEntry + (this.L.zslEmbedsEle ? this.embeddedNode(len) : this.sds(len) + this.zslNode);
  }

  /** Hash field of a hash-table hash: dictEntry + field sds + value sds (hashTypeSet sdsdup's both). */
  hashField(f: Scalar, v: Scalar, expiresAtMs: number | null): void {
    this.n++;
    const fl = scalarLength(f), vl = scalarLength(v);
    if (fl > this.maxElem) this.maxElem = fl;
    if (vl > this.maxElem) this.maxElem = vl;
    if (this.L.entryTtlBytes > 0) {
      // Valkey 8.1 hashTypeCreateEntry / 9 entryReqSize / Redis 8.6 setEntryWriteInfo: [TTL], the field sds and
      // the value (sdshdr8) in one allocation while they take at most 128 bytes; else [TTL], a value pointer and the
      // field (sdshdr8 at least); Redis adds its dictEntry.
      const ttl = expiresAtMs !== null ? this.L.entryTtlBytes : 0;
      this.elemBytes += this.L.dictEntry;
      const field = (ttl > 0 ? Math.max(3, sdsHdrSize(fl)) : sdsHdrSize(fl)) + fl + 1;
      const value = 3 + vl + 1;
      const entry = (n: number): number => (this.L.exactSizes ? n : this.sc(n));
      this.elemBytes += field + ttl + value <= 128 ? entry(field + ttl + value)
        : entry(ttl + 8 + Math.max(3, sdsHdrSize(fl)) + fl + 1) + this.sds(vl);
      // Valkey 9 also tracks each volatile field in the hash's vset (hashtable metadata).
      if (ttl > 0) this.elemBytes += this.L.hfeFieldOverhead;
    } else {
      this.elemBytes += this.L.dictEntry + this.sds(fl) + this.sds(vl);
      if (expiresAtMs !== null) this.elemBytes += this.L.hfeFieldOverhead;
    }
  }

  streamNode(lpBytes: number, masterId: StreamId | undefined): void {
    if (masterId !== undefined) this.masters.add(masterId.ms, masterId.seq);
    // A closed node was shrunk to fit (lpShrinkToFit); Redis 8.6 counts listpacks by their bytes.
    if (this.streamNodes > 0) this.streamLpAlloc += this.L.kvobj ? this.streamLastLp : this.sc(this.streamLastLp);
    this.streamNodes++;
    this.streamLastLp = lpBytes;
  }

  /** streamCG + its PEL rax + one streamNACK per pending entry (object.c objectComputeSize, OBJ_STREAM). */
  streamGroup(pending: number): void {
    let nodes: number;
    if (pending > 1 && this.pel.keys === pending) {
      nodes = this.pel.nodes;
      this.pelPerKey = (nodes - 2) / (pending - 1);
    } else {
      nodes = raxNodesEstimate(pending, this.pelPerKey);
    }
    this.pel.reset();
    this.streamGroups += this.L.streamCG + this.raxUsage(pending, nodes) + this.L.streamNACK * pending;
  }

  /**
   * Stream metadata (after the nodes, before the groups): the ID range tells how often consecutive IDs differ in
   * their millisecond part, which decides between ~1 rax node per ID (same ms: leaves under one branching node)
   * and ~2 (a compressed node over the shared sequence bytes, then the leaf). Used when IDs are not reported.
   */
  streamMeta(length: number, firstMs: bigint | null, lastMs: bigint): void {
    const span = firstMs === null ? 0 : Number(lastMs - firstMs);
    this.pelPerKey = 1 + (length > 1 ? Math.min(1, span / (length - 1)) : 1);
    this.masterPerKey = 1 + (this.streamNodes > 1 ? Math.min(1, span / (this.streamNodes - 1)) : 1);
  }

  /** A group PEL entry's ID (reported before its group). */
  streamPending(id: StreamId): void {
    this.pel.add(id.ms, id.seq);
  }

  /** streamConsumer + sdslen(name) (not its allocation: that is what the server adds) + its PEL rax. */
  streamConsumer(nameLen: number, pending: number): void {
    this.streamGroups += this.L.streamConsumer + nameLen +
      this.raxUsage(pending, raxNodesEstimate(pending, this.pelPerKey));
  }

  /** Hash-table overhead shared by set/hash/zset dicts: sizeof(dict) + bucket pointers. */
  private dictOverhead(n: number, stepsPerInsert: number, startSize: number): number {
    if (this.L.valkeyHashtable) {
      return this.L.dict + VK_BUCKET * valkeyBuckets(n, stepsPerInsert);
    }
    return this.L.dict + 8 * dictSlotsGrown(n, stepsPerInsert, startSize);
  }

  /** The value's bytes for the encoding the writing server used. `fieldTtls` > 0 marks 7.4+ HFE hashes;
   * Strings up to embstrMax are sized as embedded without a key (what Valkey 8.1+ adds is in MemoryEstimator). */
  finish(type: RedisType, fieldTtls: number): number {
    const L = this.L;
    switch (type) {
      case 'string': {
        if (this.strInt) return L.robj;
        if (this.strLen <= L.embstrMax && L.compactAsLength) return L.robj + this.strLen + 2;
        if (this.strLen <= L.embstrMax) return this.sc(L.robj + 3 + this.strLen + 1);
        // Arguments of >= 32 KiB (PROTO_MBULK_BIG_ARG) become the object in place of the query buffer, which
        // sdsMakeRoomForNonGreedy sized for the bulk plus its CRLF (networking.c processMultibulkBuffer).
        if (this.strLen >= 32768) return L.robj + this.sc(sdsHdrSize(this.strLen + 2) + this.strLen + 3);
        return L.robj + this.sds(this.strLen);
      }
      case 'list': {
        if (this.qlNodes === 0 && this.blobBytes < 0 && this.llBytes > LP_OVERHEAD) {
          // Only linked-list items were seen: use the repacked nodes.
          this.qlNodes = this.llNodes; this.qlAlloc = this.llAlloc;
          this.quicklistNode('packed', this.llBytes);
        }
        if (this.blobBytes >= 0 && this.qlNodes === 0) {
          // A whole-value ziplist (RDB type 10): one quicklist node, or a listpack list on 7.2+.
          this.quicklistNode('packed', this.blobBytes);
        }
        if (L.listListpack && this.qlNodes === 1 && !this.qlPlain && this.qlLastBytes <= LIST_NODE_LIMIT) {
          return L.robj + (L.compactAsLength ? this.qlLastBytes : this.sc(this.qlLastBytes));
        }
        return L.robj + L.quicklist + this.qlNodes * L.quicklistNode + this.qlAlloc;
      }
      case 'set':
      case 'hash':
      case 'zset': {
        if (this.blobBytes >= 0) {
          const hfe = type === 'hash' && fieldTtls > 0 ? L.hfeHashOverhead : 0;
          return L.robj + (L.compactAsLength ? this.blobBytes : this.sc(this.blobBytes)) + hfe;
        }
        // Growth history (see dictSlotsGrown): ZADD/HSET of a new element do dictFind + dictAdd (2 rehash steps),
        // SADD dictAddRaw (1). Hashes of short elements converted at 129 entries (hashTypeConvertListpack presizes
        // to 129), integer sets at 513 (setTypeConvert presizes); zsetConvert does not presize.
        if (type === 'zset') {
          return L.robj + L.zsetHeader + this.dictOverhead(this.n, 2, 4) + this.zslHeader + this.elemBytes;
        }
        // Redis 8.6 counts no hash-level cost of field TTLs for hash tables (only listpackEx's header).
        const hfe = type === 'hash' && fieldTtls > 0 && !L.exactSizes ? L.hfeHashOverhead : 0;
        const start = type === 'hash' ? (this.maxElem <= 64 && this.n > 128 ? 129 : 4)
          : this.allInts && this.n > 512 ? 513 : L.setListpack && this.maxElem <= 64 && this.n > 128 ? 129 : 4;
        const chained = type === 'set' && L.setNoValue
          ? NO_VALUE_ENTRY * chainedEntries(this.n, dictBuckets(Math.max(this.n, start))) : 0;
        const steps = type === 'hash' && !L.valkeyHashtable ? 2 : 1;
        return L.robj + this.dictOverhead(this.n, steps, start) + this.elemBytes + hfe + chained;
      }
      case 'stream': {
        let lps = this.streamLpAlloc;
        if (this.streamNodes > 0) {
          lps += L.kvobj ? this.streamLastLp : this.sc(Math.max(this.streamLastLp, STREAM_LP_PREALLOC));
        }
        const nodes = this.masters.keys === this.streamNodes && this.streamNodes > 0 ? this.masters.nodes
          : raxNodesEstimate(this.streamNodes, this.masterPerKey);
        return L.robj + L.stream + this.raxUsage(this.streamNodes, nodes) + lps +
          this.streamGroups;
      }
      case 'module':
        return L.robj;
    }
    return L.robj;
  }
}
