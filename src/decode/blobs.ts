/**
 * Walkers over the compact single-allocation encodings that the RDB stores as one string: listpack, ziplist,
 * intset, zipmap. Each validates as it goes (never reads past the blob) and reports entries to a sink; an entry's
 * bytes are given only when `wantValues` is set, its length always.
 */
import type { Scalar } from './model.js';

/**
 * Receives one entry: its value (for a string entry, null unless values were asked for), its length as a string,
 * and for a string entry where its bytes start in `blob` (-1 for an integer entry), so that a caller can read a
 * few bytes without a view being made for every entry.
 */
export type EntrySink = (value: Scalar | null, len: number, at: number, blob: Uint8Array) => void;

export class BlobError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

/** Decimal digits (and sign) of an integer, without building the string. */
export function intLen(v: number | bigint): number {
  if (typeof v === 'bigint') return v.toString().length;
  let n = v < 0 ? 2 : 1;
  let a = Math.abs(v);
  while (a >= 10) {
    a = Math.floor(a / 10);
    n++;
  }
  return n;
}

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

function i64(b: Uint8Array, p: number): number | bigint {
  const lo = u32(b, p);
  const hi = u32(b, p + 4) | 0;
  if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + lo;
  return new DataView(b.buffer, b.byteOffset + p, 8).getBigInt64(0, true);
}

/** listpack.c: returns the number of entries; `sink` sees each. */
export function walkListpack(b: Uint8Array, wantValues: boolean, sink: EntrySink | null): number {
  const n = b.length;
  if (n < 7) throw new BlobError(0, `a listpack of at least 7 bytes, got ${n}`);
  if (u32(b, 0) !== n) throw new BlobError(0, `listpack total bytes ${u32(b, 0)} to equal its string length ${n}`);
  let p = 6;
  let count = 0;
  for (;;) {
    if (p >= n) throw new BlobError(p, 'listpack end marker 0xff');
    const c = b[p]!;
    if (c === 0xff) break;
    let hdr: number;
    let slen = -1;
    let iv: number | bigint = 0;
    if (c < 0x80) {
      hdr = 1;
      iv = c;
    } else if ((c & 0xc0) === 0x80) {
      hdr = 1;
      slen = c & 0x3f;
    } else if ((c & 0xe0) === 0xc0) {
      hdr = 2;
      if (p + 1 >= n) throw new BlobError(p, 'a 13-bit listpack integer');
      iv = ((((c & 0x1f) << 8) | b[p + 1]!) << 19) >> 19;
    } else if ((c & 0xf0) === 0xe0) {
      hdr = 2;
      if (p + 1 >= n) throw new BlobError(p, 'a 12-bit listpack string length');
      slen = ((c & 0x0f) << 8) | b[p + 1]!;
    } else if (c === 0xf0) {
      hdr = 5;
      if (p + 4 >= n) throw new BlobError(p, 'a 32-bit listpack string length');
      slen = u32(b, p + 1);
    } else if (c >= 0xf1 && c <= 0xf4) {
      const w = c === 0xf1 ? 2 : c === 0xf2 ? 3 : c === 0xf3 ? 4 : 8;
      hdr = 1 + w;
      if (p + w >= n) throw new BlobError(p, 'listpack integer bytes');
      if (w === 2) iv = ((b[p + 1]! | (b[p + 2]! << 8)) << 16) >> 16;
      else if (w === 3) iv = ((b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) << 8) >> 8;
      else if (w === 4) iv = u32(b, p + 1) | 0;
      else iv = i64(b, p + 1);
    } else {
      throw new BlobError(p, `a listpack entry encoding, got 0x${c.toString(16)}`);
    }
    const body = slen >= 0 ? slen : 0;
    const entryLen = hdr + body;
    const back = entryLen < 128 ? 1 : entryLen < 16384 ? 2 : entryLen < 2097152 ? 3 : entryLen < 268435456 ? 4 : 5;
    if (p + entryLen + back > n - 1) throw new BlobError(p, 'a listpack entry that ends inside the listpack');
    if (sink !== null) {
      if (slen >= 0) sink(wantValues ? b.subarray(p + hdr, p + hdr + slen) : null, slen, p + hdr, b);
      else sink(iv, intLen(iv), -1, b);
    }
    p += entryLen + back;
    count++;
  }
  if (p !== n - 1) throw new BlobError(p, `listpack end marker at its last byte (${n - 1})`);
  const declared = b[4]! | (b[5]! << 8);
  if (declared !== 0xffff && declared !== count) throw new BlobError(4, `listpack entry count ${declared} to match ${count} entries`);
  return count;
}

/** ziplist.c: returns the number of entries. */
export function walkZiplist(b: Uint8Array, wantValues: boolean, sink: EntrySink | null): number {
  const n = b.length;
  if (n < 11) throw new BlobError(0, `a ziplist of at least 11 bytes, got ${n}`);
  if (u32(b, 0) !== n) throw new BlobError(0, `ziplist total bytes ${u32(b, 0)} to equal its string length ${n}`);
  let p = 10;
  let count = 0;
  for (;;) {
    if (p >= n) throw new BlobError(p, 'ziplist end marker 0xff');
    if (b[p] === 0xff) break;
    p += b[p] === 0xfe ? 5 : 1; // prevlen
    if (p >= n) throw new BlobError(p, 'a ziplist entry encoding');
    const c = b[p]!;
    let hdr = 1;
    let slen = -1;
    let iv: number | bigint = 0;
    switch (c >> 6) {
      case 0:
        slen = c & 0x3f;
        break;
      case 1:
        hdr = 2;
        if (p + 1 >= n) throw new BlobError(p, 'a 14-bit ziplist string length');
        slen = ((c & 0x3f) << 8) | b[p + 1]!;
        break;
      case 2:
        hdr = 5;
        if (p + 4 >= n) throw new BlobError(p, 'a 32-bit ziplist string length');
        slen = b[p + 1]! * 0x1000000 + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
        break;
      default: {
        const w = c === 0xc0 ? 2 : c === 0xd0 ? 4 : c === 0xe0 ? 8 : c === 0xf0 ? 3 : c === 0xfe ? 1 : 0;
        if (w === 0 && (c < 0xf1 || c > 0xfd)) throw new BlobError(p, `a ziplist entry encoding, got 0x${c.toString(16)}`);
        if (p + w >= n) throw new BlobError(p, 'ziplist integer bytes');
        const q = p + 1;
        if (w === 0) iv = (c & 0x0f) - 1;
        else if (w === 1) iv = (b[q]! << 24) >> 24;
        else if (w === 2) iv = ((b[q]! | (b[q + 1]! << 8)) << 16) >> 16;
        else if (w === 3) iv = ((b[q]! | (b[q + 1]! << 8) | (b[q + 2]! << 16)) << 8) >> 8;
        else if (w === 4) iv = u32(b, q) | 0;
        else iv = i64(b, q);
        hdr = 1 + w;
      }
    }
    const end = p + hdr + (slen >= 0 ? slen : 0);
    if (end > n - 1) throw new BlobError(p, 'a ziplist entry that ends inside the ziplist');
    if (sink !== null) {
      if (slen >= 0) sink(wantValues ? b.subarray(p + hdr, end) : null, slen, p + hdr, b);
      else sink(iv, intLen(iv), -1, b);
    }
    p = end;
    count++;
  }
  if (p !== n - 1) throw new BlobError(p, `ziplist end marker at its last byte (${n - 1})`);
  return count;
}

/** intset.c: returns the number of members. */
export function walkIntset(b: Uint8Array, _wantValues: boolean, sink: EntrySink | null): number {
  if (b.length < 8) throw new BlobError(0, `an intset of at least 8 bytes, got ${b.length}`);
  const width = u32(b, 0);
  if (width !== 2 && width !== 4 && width !== 8) throw new BlobError(0, `intset encoding 2, 4 or 8, got ${width}`);
  const count = u32(b, 4);
  if (8 + count * width !== b.length) throw new BlobError(4, `intset of ${count} x ${width} bytes to fill its ${b.length} bytes`);
  if (sink !== null) {
    for (let i = 0, p = 8; i < count; i++, p += width) {
      const v =
        width === 2 ? ((b[p]! | (b[p + 1]! << 8)) << 16) >> 16 : width === 4 ? u32(b, p) | 0 : i64(b, p);
      sink(v, intLen(v), -1, b);
    }
  }
  return count;
}

/** zipmap.c (Redis < 2.6 hashes): returns the number of entries (fields + values). */
export function walkZipmap(b: Uint8Array, wantValues: boolean, sink: EntrySink | null): number {
  const n = b.length;
  if (n < 2) throw new BlobError(0, 'a zipmap of at least 2 bytes');
  let p = 1;
  let count = 0;
  const readLen = (): number => {
    if (p >= n) throw new BlobError(p, 'a zipmap length');
    const c = b[p]!;
    if (c < 254) {
      p += 1;
      return c;
    }
    if (c === 254) {
      if (p + 4 >= n) throw new BlobError(p, 'a 32-bit zipmap length');
      const v = u32(b, p + 1);
      p += 5;
      return v;
    }
    p += 1;
    return -1; // 255: end
  };
  for (;;) {
    const klen = readLen();
    if (klen < 0) break;
    if (p + klen > n) throw new BlobError(p, 'a zipmap field inside the zipmap');
    if (sink !== null) sink(wantValues ? b.subarray(p, p + klen) : null, klen, p, b);
    p += klen;
    const vlen = readLen();
    if (vlen < 0) throw new BlobError(p, 'a zipmap value after its field');
    if (p >= n) throw new BlobError(p, 'a zipmap free-bytes count');
    const free = b[p++]!;
    if (p + vlen + free > n) throw new BlobError(p, 'a zipmap value inside the zipmap');
    if (sink !== null) sink(wantValues ? b.subarray(p, p + vlen) : null, vlen, p, b);
    p += vlen + free;
    count += 2;
  }
  if (p !== n) throw new BlobError(p, `zipmap end marker at its last byte (${n - 1})`);
  return count;
}
