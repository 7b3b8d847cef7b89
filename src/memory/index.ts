/**
 * Memory estimator: for every key, the bytes `MEMORY USAGE key SAMPLES 0` reports on the server that wrote the
 * dump (memoryCommand "usage" in object.c: objectComputeSize() + the key sds + the keyspace dictEntry), computed
 * from the decoder's callbacks without materializing values. Totals compare the keyspace with the dump's
 * `used-mem` aux field.
 */
import type { DumpSummary, KeyHeader, KeyRecord, Magic, RdbHandler, Scalar, BlobKind, StreamGroup,
  StreamConsumer, StreamId, StreamPendingEntry, StreamMeta } from '../decode/model.js';
import { sizeClassOf, type AllocatorName, type SizeClass } from './jemalloc.js';
import { sdsAlloc, sdsHdrSize, dictBuckets } from './cost.js';
import { layoutFor, type Layout, type MemoryModelName } from './layout.js';
import { ValueSizer } from './value.js';

export type { MemoryModelName } from './layout.js';
export { ALLOCATORS, type AllocatorName } from './jemalloc.js';

export interface MemoryTotals {
  keys: number;
  /** Sum of the per-key estimates (what MEMORY USAGE would sum to). */
  datasetBytes: number;
  /** Bucket arrays of the main keyspace dicts (one per db). */
  mainDictBytes: number;
  /** Expires dicts: one dictEntry per volatile key (the key sds is shared) plus their bucket arrays. */
  expiresDictBytes: number;
  /** The dump's used-mem aux field, or null when absent. */
  usedMem: number | null;
  /** usedMem minus the three sums above (server baseline, buffers, fragmentation of the dict...), or null. */
  unexplained: number | null;
  model: MemoryModelName;
  verified: boolean;
  /** The allocator build assumed (--allocator) and whether the writer was taken as a cluster node. */
  allocator: AllocatorName;
  cluster: boolean;
}

function parseVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/**
 * Picks the model for the server that wrote the dump: from the `valkey-ver` / `redis-ver` aux fields, else from
 * the RDB version (9: <= 6.2, 10: 7.0, 11: 7.2, 12: 7.4, >= 13 Redis 8 or a Valkey 9 `VALKEY` file).
 */
export function chooseModel(magic: 'REDIS' | 'VALKEY', rdbVersion: number, aux: ReadonlyMap<string, string>): MemoryModelName {
  const vk = aux.get('valkey-ver');
  if (vk !== undefined) {
    const [maj, min] = parseVersion(vk);
    if (maj >= 9) return 'valkey-9';
    if (maj === 8 && min >= 1) return 'valkey-8.1';
    if (maj === 8) return 'valkey-8.0';
    // Valkey 7.2 is Redis 7.2.4 renamed.
    return maj === 7 ? 'redis-7.2' : 'valkey-8.0';
  }
  if (magic === 'VALKEY') return 'valkey-9';
  const rv = aux.get('redis-ver');
  if (rv !== undefined) {
    const [maj, min] = parseVersion(rv);
    if (maj > 8 || (maj === 8 && min >= 2)) return 'redis-8.6';
    if (maj >= 8) return 'redis-8';
    if (maj === 7 && min >= 4) return 'redis-7.4';
    if (maj === 7 && min >= 2) return 'redis-7.2';
    if (maj === 7) return 'redis-7.0';
    if (maj > 0) return 'redis-6.2';
  }
  if (rdbVersion <= 9) return 'redis-6.2';
  if (rdbVersion === 10) return 'redis-7.0';
  if (rdbVersion === 11) return 'redis-7.2';
  if (rdbVersion === 12) return 'redis-7.4';
  return 'redis-8';
}

const DECODER = new TextDecoder();

export class MemoryEstimator implements RdbHandler {
  /** Estimate for the key whose endKey() was called last. */
  lastKeyBytes = 0;
  private readonly requested: MemoryModelName | 'auto';
  /** The writing server's allocator build (the dump does not say; default: upstream's bundled jemalloc). */
  readonly allocator: AllocatorName;
  private readonly sc: SizeClass;
  private L: Layout;
  private sizer: ValueSizer;
  private magic: Magic = 'REDIS';
  private readonly auxFields = new Map<string, string>();
  private resolved = false;
  private keyLen = 0;
  private hasExpire = false;
  // Totals.
  private keys = 0;
  private datasetBytes = 0;
  private expires = 0;
  private readonly dbKeys = new Map<number, [number, number]>();

  /** The dump was written by a cluster node: true/false as told (--cluster), else from the dump (SLOT_INFO). */
  private readonly clusterOpt: boolean | undefined;
  private clusterSeen = false;

  constructor(opts: { model?: MemoryModelName | 'auto'; allocator?: AllocatorName; cluster?: boolean } = {}) {
    this.requested = opts.model ?? 'auto';
    this.allocator = opts.allocator ?? 'bundled';
    this.clusterOpt = opts.cluster;
    this.sc = sizeClassOf(this.allocator);
    this.L = layoutFor(this.requested === 'auto' ? 'redis-7.0' : this.requested);
    this.sizer = new ValueSizer(this.L, this.sc);
  }

  get model(): MemoryModelName { return this.L.name; }
  /** Whether the model was checked against real servers of the writer's release line (fixtures/servers/): Redis
   * 6.2 to 8.0 and 8.6, Valkey 7.2 to 9.1 are; Redis 8.2 and 8.4 (taken as 8.6) and anything newer are not. */
  get verified(): boolean { return this.L.verified && !this.newerThanChecked; }
  private newerThanChecked = false;
  /** Whether the model counted the writer as a cluster node. */
  get cluster(): boolean { return this.clusterOpt ?? this.clusterSeen; }

  /** Cluster nodes save the slot of each populated slot (SLOT_INFO, 7.4+ and Valkey 8+). */
  slotInfo(): void { this.clusterSeen = true; }

  header(magic: Magic, _version: number): void {
    this.magic = magic;
    this.rdbVersion = _version;
  }
  private rdbVersion = 0;

  aux(name: string, value: Uint8Array): void {
    if (name === 'redis-ver' || name === 'valkey-ver' || name === 'used-mem') this.auxFields.set(name, DECODER.decode(value));
  }

  /** Settles the model at the first key, when every aux field has been seen. */
  private resolve(): void {
    this.resolved = true;
    const vk = this.auxFields.get('valkey-ver');
    const rv = this.auxFields.get('redis-ver');
    if (vk !== undefined) { const [a, b] = parseVersion(vk); this.newerThanChecked = a > 9 || (a === 9 && b > 1); }
    else if (rv !== undefined) {
      const [a, b] = parseVersion(rv);
      this.newerThanChecked = a > 8 || (a === 8 && b > 0 && b !== 6);
    }
    if (this.requested !== 'auto') return;
    const name = chooseModel(this.magic, this.rdbVersion, this.auxFields);
    if (name !== this.L.name) { this.L = layoutFor(name); this.sizer = new ValueSizer(this.L, this.sc); }
  }

  beginKey(h: KeyHeader): void {
    if (!this.resolved) this.resolve();
    this.keyLen = h.key.length;
    this.hasExpire = h.expiresAtMs !== null;
    this.sizer.begin();
  }

  stringValue(len: number, value: Scalar | null): void { this.sizer.string(len, value); }
  listItem(v: Scalar): void { this.sizer.listItem(v); }
  setMember(v: Scalar): void { this.sizer.setMember(v); }
  zsetMember(member: Scalar, _score: number): void { this.sizer.zsetMember(member); }
  hashField(field: Scalar, value: Scalar, expiresAtMs: number | null): void { this.sizer.hashField(field, value, expiresAtMs); }
  blob(kind: BlobKind, bytes: number, _entries: number): void { this.sizer.blob(kind, bytes); }
  quicklistNode(container: 'plain' | 'packed', bytes: number, _entries: number, _stored: number): void {
    this.sizer.quicklistNode(container, bytes);
  }
  /** `masterId` (the node's rax key) is optional: when the decoder reports it, the rax node count is exact. */
  streamNode(lpBytes: number, _entries: number, _deleted: number, _masterFields: number, masterId?: StreamId): void {
    this.sizer.streamNode(lpBytes, masterId);
  }
  streamMeta(m: StreamMeta): void { this.sizer.streamMeta(m.length, m.firstId?.ms ?? null, m.lastId.ms); }
  /** PEL entries (reported when values are requested) make the group PEL's rax node count exact. */
  streamPending(p: StreamPendingEntry): void { this.sizer.streamPending(p.id); }
  streamGroup(g: StreamGroup): void { this.sizer.streamGroup(g.pending); }
  streamConsumer(c: StreamConsumer): void { this.sizer.streamConsumer(c.name.length, c.pending); }

  endKey(rec: KeyRecord): void {
    const L = this.L;
    let bytes: number;
    if (L.kvobj) {
      // Redis 8.6 kvobjAllocSize: {[expire metadata], robj, hdr size, key sds}, a string value embedded too (sdshdr8)
      // when it was an embstr and robj + key + 3 + 4 + value <= 64 (the metadata is not in that sum); keys of 128
      // bytes or more always get the expire slot.
      const meta = this.hasExpire || this.keyLen >= 128 ? 8 : 0;
      const keyReq = sdsHdrSize(this.keyLen) + this.keyLen + 1;
      const value = this.sizer.finish(rec.type, rec.fieldTtls);
      const str = rec.type === 'string' && !this.sizer.stringIsInt;
      if (str && rec.length <= L.embstrMax && L.robj + this.keyLen + 3 + 4 + rec.length <= 64) {
        bytes = this.sc(meta + L.robj + 1 + keyReq + 3 + rec.length + 1);
      } else {
        const own = str && rec.length <= L.embstrMax ? L.robj + this.sizer.sds(rec.length) : value;
        bytes = own - L.robj + this.sc(meta + L.robj + 1 + keyReq);
      }
    } else if (L.embeddedKey) {
      // Valkey 8.1+ (object.c createStringObjectWithKeyAndExpire): one allocation holds the robj, [expire], a
      // header-size byte and the key sds, and a short string value (sdshdr8) too.
      const exp = this.hasExpire ? 8 : 0;
      const keyReq = sdsHdrSize(this.keyLen) + this.keyLen + 1;
      const value = this.sizer.finish(rec.type, rec.fieldTtls);
      const str = rec.type === 'string' && !this.sizer.stringIsInt;
      // A string's own sds when it is not embedded (finish() sized strings up to embstrMax as embedded).
      const own = str && rec.length <= L.embstrMax ? L.robj + sdsAlloc(rec.length, this.sc) : value;
      if (L.robjAllocCounted) {
        // Valkey 9: the val pointer is reused when the value is embedded (<= 128 bytes in all); an expire slot is
        // always reserved for keys of 128 bytes or more; MEMORY USAGE counts the whole allocation.
        if (str && 8 + exp + 1 + keyReq + 3 + rec.length + 1 <= 128) {
          bytes = this.sc(8 + exp + 1 + keyReq + Math.max(8, 3 + rec.length + 1));
        } else {
          bytes = own - L.robj + this.sc(L.robj + (exp > 0 || this.keyLen >= 128 ? 8 : 0) + 1 + keyReq);
        }
      } else if (str && L.robj + this.keyLen + 3 + exp + 4 + rec.length <= 64) {
        // Valkey 8.1: embedded while robj + key + 3 + expire + 4 + value <= 64; counted whole.
        bytes = this.sc(L.robj + exp + 1 + keyReq + 3 + rec.length + 1);
      } else if (str && exp > 0 && L.robj + this.keyLen + 3 + 4 + rec.length <= 64 &&
          this.sc(L.robj + 1 + keyReq + 4 + rec.length) >= L.robj + 1 + keyReq + 4 + rec.length + 8) {
        // A TTL set after SET (PEXPIRE...) fills the expire slot that the allocation had room for: still embedded.
        bytes = this.sc(L.robj + 1 + keyReq + 4 + rec.length);
      } else {
        // Valkey 8.1 counts sizeof(robj) only: the key and expire it holds are not in MEMORY USAGE.
        bytes = own;
      }
    } else {
      // memoryCommand: objectComputeSize() + sdsZmallocSize(key) + sizeof(dictEntry) + dictMetadataSize (cluster
      // nodes of 7.0 and 7.2, see clusterKeyExtra). Valkey 8.0 copies the key into its dictEntryEmbedded with the
      // header of the command's key argument: an sdshdr8 at least (embstr objects).
      const key = L.keyEmbeddedEntry > 0
        ? this.sc(L.keyEmbeddedEntry + Math.max(3, sdsHdrSize(this.keyLen)) + this.keyLen + 1)
        : sdsAlloc(this.keyLen, this.sc) + L.keyEntry;
      bytes = this.sizer.finish(rec.type, rec.fieldTtls) + key;
    }
    if (this.cluster) bytes += L.clusterKeyExtra;
    bytes = Math.round(bytes); // zset skiplist nodes use the expected (fractional) level cost
    this.lastKeyBytes = bytes;
    this.keys++;
    this.datasetBytes += bytes;
    if (this.hasExpire) this.expires++;
    const db = this.dbKeys.get(rec.db);
    if (db) { db[0]++; if (this.hasExpire) db[1]++; } else this.dbKeys.set(rec.db, [1, this.hasExpire ? 1 : 0]);
  }

  end(_summary: DumpSummary): void {
    if (!this.resolved) this.resolve();
  }

  totals(): MemoryTotals {
    let mainDictBytes = 0;
    let expiresDictBytes = 0;
    for (const [keys, expires] of this.dbKeys.values()) {
      mainDictBytes += 8 * dictBuckets(keys);
      expiresDictBytes += 8 * dictBuckets(expires) + this.L.dictEntry * expires;
    }
    const um = this.auxFields.get('used-mem');
    const usedMem = um !== undefined && /^\d+$/.test(um) ? Number(um) : null;
    return {
      keys: this.keys,
      datasetBytes: Math.round(this.datasetBytes),
      mainDictBytes,
      expiresDictBytes,
      usedMem,
      unexplained: usedMem === null ? null : usedMem - Math.round(this.datasetBytes) - mainDictBytes - expiresDictBytes,
      model: this.L.name,
      verified: this.verified,
      allocator: this.allocator,
      cluster: this.cluster,
    };
  }
}
