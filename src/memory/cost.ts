/**
 * Per-structure sizes shared by every model: sds allocations, dict bucket arrays, listpack entry sizes, radix tree
 * accounting. Each function names the server function it mirrors; all return bytes as `zmalloc_size()` reports them.
 */
import type { SizeClass } from './jemalloc.js';

/** sds header size for a string of `len` bytes created by sdsnewlen()/sdsdup() (sds.c sdsReqType/sdsHdrSize).
 * Type 5 (1-byte header) for len < 32, sdshdr8 (3) < 256, sdshdr16 (5) < 64 KiB, sdshdr32 (9) < 4 GiB, else 17. */
export function sdsHdrSize(len: number): number {
  if (len < 32) return 1;
  if (len < 256) return 3;
  if (len < 65536) return 5;
  if (len < 4294967296) return 9;
  return 17;
}

/** `sdsZmallocSize()` of a tight sds (sdsnewlen/sdsdup): header + bytes + NUL terminator, in its size class. */
export function sdsAlloc(len: number, sc: SizeClass): number {
  return sc(sdsHdrSize(len) + len + 1);
}


/**
 * Buckets of a dict holding `n` entries that grew by insertion (dict.c _dictExpandIfNeeded: expand to
 * _dictNextExp(used + 1) when used >= size; initial size 4) or was presized by dictExpand(n) on conversion from a
 * compact encoding (hashTypeConvertListpack, setTypeConvert). Both give the smallest power of two >= n, at least 4.
 * This is the expected table size once incremental rehashing finished; {@link dictSlotsGrown} adds the old table
 * of a dict still caught mid-rehash (dictSlots() = size0 + size1). Also used for the keyspace and expires dicts.
 */
export function dictBuckets(n: number): number {
  if (n <= 0) return 0;
  let size = 4;
  while (size < n) size *= 2;
  return size;
}

/**
 * dictSlots() (size0 + size1) of a dict that reached `n` entries by single inserts, each doing `stepsPerInsert`
 * incremental rehash steps (dict.c _dictRehashStep: dictAddRaw does one, dictFind another; SADD does 1, HSET and
 * ZADD of a new element 2), having started from `startSize` buckets (4, or what dictExpand() presized on conversion
 * from a compact encoding). The last expansion, from S/2 to S buckets, happened at insert S/2 + 1; rehashing moves
 * one non-empty old bucket per step, and a table at load factor 1 has about (1 - 1/e) of its buckets non-empty.
 * While that is unfinished both tables count. This is the expected state for data written once and not read since
 * (reads do rehash steps too); it assumes no deletions.
 */
export function dictSlotsGrown(n: number, stepsPerInsert: number, startSize = 4): number {
  const size = Math.max(dictBuckets(n), dictBuckets(startSize));
  if (n <= 0) return 0;
  const old = size / 2;
  if (size <= dictBuckets(startSize) || old < 4) return size; // never expanded past the start size
  const steps = (n - old - 1) * stepsPerInsert;
  return steps < old * (1 - Math.exp(-1)) ? size + old : size;
}

/** Decimal length of an integer (for elements the RDB stored in integer form). */
export function decimalLength(v: number | bigint): number {
  if (typeof v === 'bigint') return v.toString().length;
  let x = v < 0 ? -v : v;
  let digits = v < 0 ? 2 : 1;
  while (x >= 10) { x = Math.floor(x / 10); digits++; }
  return digits;
}

/** listpack.c: bytes of the backlen field that closes an entry whose encoding + data take `l` bytes. */
function lpBacklen(l: number): number {
  if (l < 128) return 1;
  if (l < 16384) return 2;
  if (l < 2097152) return 3;
  if (l < 268435456) return 4;
  return 5;
}

/** listpack.c lpEncodeGetType/lpEncodeBacklen: bytes of one listpack entry holding a string of `len` bytes. */
export function lpStringEntry(len: number): number {
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return enc + lpBacklen(enc);
}

/** Bytes of one listpack entry holding an integer (LP_ENCODING_7BIT_UINT, 13/16/24/32/64 bit forms). */
export function lpIntEntry(v: number | bigint): number {
  const x = typeof v === 'bigint' ? Number(v) : v;
  let enc: number;
  if (x >= 0 && x <= 127) enc = 1;
  else if (x >= -4096 && x <= 4095) enc = 2;
  else if (x >= -32768 && x <= 32767) enc = 3;
  else if (x >= -8388608 && x <= 8388607) enc = 4;
  else if (x >= -2147483648 && x <= 2147483647) enc = 5;
  else enc = 9;
  return enc + 1;
}

/** Listpack header (total bytes u32 + count u16) plus the 0xFF terminator. */
export const LP_OVERHEAD = 7;

/**
 * object.c streamRadixTreeMemoryUsage() as the server computes it: note that the server overwrites
 * `sizeof(*rax)` with the element term (`size = rax->numele * sizeof(streamID)`), so the rax struct itself is not
 * counted; then `numnodes * sizeof(raxNode)` (4 bytes) plus a fixed `numnodes * sizeof(long) * 30`.
 */
export function streamRaxUsage(numele: number, numnodes: number): number {
  return numele * 16 + numnodes * (4 + 8 * 30);
}

/**
 * Node count of a radix tree (rax.c) of `n` stream IDs when the IDs are not known (see RaxCounter for the exact
 * count). An empty rax is its root; one key adds a leaf. Beyond that `perKey` nodes per key: about 2 when the IDs
 * differ in their millisecond part (a compressed node over the shared sequence bytes, then the leaf, as for stream
 * node master IDs), about 1 for IDs of one millisecond that differ in the last byte (as PEL entries read in bulk).
 */
export function raxNodesEstimate(n: number, perKey: number): number {
  if (n <= 0) return 1;
  if (n === 1) return 2;
  return Math.round(2 + perKey * (n - 1));
}
