/**
 * Struct sizes (x86_64, LP64) and behaviours of each server version, as `objectComputeSize()` (object.c) and
 * `memoryCommand()` "USAGE" add them up. Sources read: redis 6.2.16, 7.0.15, 7.2.6, 7.4.1 (src/server.h, dict.h,
 * quicklist.h, stream.h, rax.h, t_zset.c, object.c), redis 8.0.6, valkey 8.0.1, 8.1.1 and 9.1.2 (object.c, dict.c,
 * hashtable.c, t_hash.c, entry.c, t_zset.c). Every model is checked against the real servers' MEMORY USAGE in
 * fixtures/servers/ (test/memory-servers.test.ts); the few fitted constants say so where they stand.
 */
export type MemoryModelName =
  'redis-6.2' | 'redis-7.0' | 'redis-7.2' | 'redis-7.4' | 'redis-8' | 'redis-8.6' | 'valkey-8.0' | 'valkey-8.1' | 'valkey-9';

export interface Layout {
  readonly name: MemoryModelName;
  readonly verified: boolean;
  /** sizeof(robj) (server.h redisObject: type/encoding/lru bitfields, refcount, ptr). */
  readonly robj: number;
  /** sizeof(dict) as objectComputeSize adds it for set/hash/zset dicts. */
  readonly dict: number;
  /** sizeof(dictEntry) / dictEntryMemUsage(): key, value union, next. */
  readonly dictEntry: number;
  /** Per-element entry cost in hash-table sets (Valkey 8.1+ hashtable stores the sds pointer in a bucket slot). */
  readonly setEntry: number;
  /** Main keyspace entry cost added by MEMORY USAGE on top of the key (dictEntry, or 0 when the key is embedded). */
  readonly keyEntry: number;
  /** True when the key sds lives inside the robj allocation (Valkey 8.1+): {robj, [expire], hdr size, key sds},
   * strings embedded after it while the whole is at most 64 bytes. */
  readonly embeddedKey: boolean;
  /** With an embedded key: MEMORY USAGE counts the robj's whole allocation (Valkey 9) or sizeof(robj) (8.1). */
  readonly robjAllocCounted: boolean;
  /** Largest string kept as embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
  readonly embstrMax: number;
  /** sizeof(quicklist) and sizeof(quicklistNode). */
  readonly quicklist: number;
  readonly quicklistNode: number;
  /** Lists that fit one node are listpack-encoded (Redis 7.2+, Valkey 8). */
  readonly listListpack: boolean;
  /** sizeof(zset) + sizeof(zskiplist); zskiplistNode base and per-level size. */
  readonly zsetHeader: number;
  readonly zslNodeBase: number;
  readonly zslLevel: number;
  /** Skiplist node embeds the member sds (Valkey 8.1+): no separate ele allocation. */
  readonly zslEmbedsEle: boolean;
  /** sizeof(stream), sizeof(streamCG), sizeof(streamConsumer), sizeof(streamNACK). */
  readonly stream: number;
  readonly streamCG: number;
  readonly streamConsumer: number;
  readonly streamNACK: number;
  /** Extra bytes per hash that has field TTLs (7.4 dictExpireMetadata / listpackEx) and per TTL field. */
  readonly hfeHashOverhead: number;
  readonly hfeFieldOverhead: number;
  /** Hash tables use Valkey's open-addressing `hashtable` (8.1+): buckets of 64 bytes holding 7 entries. */
  readonly valkeyHashtable: boolean;
  /** What a cluster node adds to each key's entry (dictMetadataSize: 7.0's slot-to-key links 16, 7.2's 8; 0 from
   * 7.4 on, where every slot has a dict of its own). */
  readonly clusterKeyExtra: number;
  /** Redis 6.2 counts embstr, ziplists and intsets at their byte length, not their allocation (object.c). */
  readonly compactAsLength: boolean;
  /** Sets converted from a listpack are presized to 129 entries (7.2+ setTypeConvertAndExpand). */
  readonly setListpack: boolean;
  /** Valkey 8.0 keyspace: the key sds is copied into its dictEntryEmbedded {v, next, key_header_size} (17 bytes +
   * the sds), one allocation, which MEMORY USAGE counts in place of the key sds and a dictEntry; 0 otherwise. */
  readonly keyEmbeddedEntry: number;
  /** Valkey 8.0 sets (no_value, keys_are_odd dicts): a member alone in its bucket is stored as the bare sds
   * pointer, only chained members get a 16-byte dictEntryNoValue. */
  readonly setNoValue: boolean;
  /** Valkey 8.1+ counts stream radix trees by their allocations (raxAllocSize): average bytes per node; 0 for
   * Redis's fixed formula (streamRadixTreeMemoryUsage). */
  readonly raxAllocPerNode: number;
  /** Redis 8.2+ kvobj: {[8-byte metadata: expire], robj, hdr size, key sds} in one allocation, counted whole with
   * the value's tracked allocations (kvobjAllocSize); stream listpacks by their bytes. */
  readonly kvobj: boolean;
  /** Hash-table hashes keep each field and value in one `entry` (Valkey 8.1+, Redis 8.6): the bytes of its expiry
   * metadata when a field has a TTL (Valkey 8, Redis's ExpireMeta 16); 0 for separate field and value sds. */
  readonly entryTtlBytes: number;
  /** Redis 8.6's tracked sizes: sdsAllocSize() of an sdshdr5 string (under 32 bytes, no alloc field) is its length
   * + 2, not the size class, and hash entries count the bytes they asked for. */
  readonly exactSizes: boolean;
}

const redis70: Layout = {
  name: 'redis-7.0', verified: true,
  robj: 16,
  // dict.h 7.0: type, ht_table[2], ht_used[2], rehashidx, int16 pauserehash, int8 ht_size_exp[2] -> 56.
  dict: 56, dictEntry: 24, setEntry: 24, keyEntry: 24, embeddedKey: false, robjAllocCounted: false,
  embstrMax: 44,
  // quicklist.h 7.0: head, tail, count, len + 36 bits of fields -> 40; node: 3 pointers, size_t sz, 32 bits -> 40.
  quicklist: 40, quicklistNode: 40, listListpack: false,
  // t_zset / server.h: zset {dict*, zskiplist*} 16 + zskiplist {header, tail, length, level} 32;
  // zskiplistNode {ele, score, backward} 24 + level[] of {forward, span} 16.
  zsetHeader: 48, zslNodeBase: 24, zslLevel: 16, zslEmbedsEle: false,
  // stream.h 7.0: stream {rax*, length, last_id, first_id, max_deleted_entry_id, entries_added, cgroups} 80,
  // streamCG {last_id, entries_read, pel, consumers} 40, streamConsumer {seen_time, name, pel} 24, NACK 24.
  stream: 80, streamCG: 40, streamConsumer: 24, streamNACK: 24,
  hfeHashOverhead: 0, hfeFieldOverhead: 0, valkeyHashtable: false,
  clusterKeyExtra: 16, compactAsLength: false, setListpack: false, keyEmbeddedEntry: 0, setNoValue: false, raxAllocPerNode: 0,
  kvobj: false, entryTtlBytes: 0, exactSizes: false,
};

/** From Redis 7.4 and Valkey 8.0 on, a cluster node keeps a dict per slot (kvstore): no per-key cluster cost. */
const from74 = { clusterKeyExtra: 0, setListpack: true } as const;

const LAYOUTS: Record<MemoryModelName, Layout> = {
  // 6.2: dict {type, privdata, dictht ht[2] (4 words each), rehashidx, int16 pauserehash} -> 96;
  // quicklistNode with `unsigned int sz` -> 32; stream {rax*, length, last_id, cgroups} 40; streamCG 32.
  'redis-6.2': { ...redis70, name: 'redis-6.2', verified: true, dict: 96, quicklistNode: 32, stream: 40, streamCG: 32,
    clusterKeyExtra: 0, compactAsLength: true },
  'redis-7.0': redis70,
  // 7.2: lists and sets get listpack encodings; streamConsumer gains active_time (32).
  'redis-7.2': { ...redis70, name: 'redis-7.2', verified: true, listListpack: true, streamConsumer: 32,
    clusterKeyExtra: 8, setListpack: true },
  // 7.4: hash field expiration: dictExpireMetadata on the hash dict (ebuckets, key, expireMeta) ~ 32 bytes and an
  // mstr metadata of 16 bytes (ExpireMeta) per field that has a TTL; listpackEx header for compact ones.
  'redis-7.4': { ...redis70, name: 'redis-7.4', verified: true, listListpack: true, streamConsumer: 32, ...from74,
    hfeHashOverhead: 32, hfeFieldOverhead: 16 },
  // 8.0: memoryCommand and objectComputeSize are 7.4's (checked on 8.0.6).
  'redis-8': { ...redis70, name: 'redis-8', verified: true, listListpack: true, streamConsumer: 32, ...from74,
    hfeHashOverhead: 32, hfeFieldOverhead: 16 },
  // 8.6 (kvobj since 8.2): objects hold their keys and count tracked allocations; listpacks, intsets and quicklist
  // entries by their bytes; hash fields in entries; skiplist nodes embed the member (checked on 8.6.3).
  'redis-8.6': { ...redis70, name: 'redis-8.6', verified: true, listListpack: true, streamConsumer: 32, ...from74,
    kvobj: true, compactAsLength: true, entryTtlBytes: 16, exactSizes: true, zslEmbedsEle: true, zslNodeBase: 16,
    raxAllocPerNode: 24, hfeHashOverhead: 32, hfeFieldOverhead: 0,
    // Fitted on 8.6.3: the stream struct with its tracked rax (152) and 116 bytes a pending entry (the NACK and its
    // place in the group's indexes).
    zsetHeader: 48, quicklistNode: 40, stream: 152, streamNACK: 116 },
  // Valkey 8.0 (Redis 7.2.4 underneath): keys embedded in their dictEntry, no-value set dicts, kvstore.
  'valkey-8.0': { ...redis70, name: 'valkey-8.0', verified: true, listListpack: true, streamConsumer: 32, ...from74,
    keyEmbeddedEntry: 17, setNoValue: true },
  // Valkey 8.1+: `hashtable` (open addressing, 64-byte buckets of 7 slots; struct hashtable 72) for keys, sets,
  // hashes and zsets; MEMORY USAGE is objectComputeSize() alone (no key, no entry cost); keys embedded in the robj.
  'valkey-8.1': { ...redis70, name: 'valkey-8.1', verified: true, listListpack: true, streamConsumer: 32, ...from74,
    embeddedKey: true, keyEntry: 0, setEntry: 0, dictEntry: 0, dict: 72, valkeyHashtable: true, raxAllocPerNode: 24,
    entryTtlBytes: 8 },
  // Valkey 9: the robj's whole allocation is counted; skiplist nodes {score, backward, levels} embed the member.
  'valkey-9': { ...redis70, name: 'valkey-9', verified: true, listListpack: true, streamConsumer: 32, ...from74,
    embeddedKey: true, robjAllocCounted: true, keyEntry: 0, setEntry: 0, dictEntry: 0, dict: 72, valkeyHashtable: true,
    zslEmbedsEle: true, zslNodeBase: 16, hfeHashOverhead: 32, hfeFieldOverhead: 16, raxAllocPerNode: 24, entryTtlBytes: 8 },
};

export function layoutFor(name: MemoryModelName): Layout {
  return LAYOUTS[name];
}

export const MODEL_NAMES = Object.keys(LAYOUTS) as MemoryModelName[];
