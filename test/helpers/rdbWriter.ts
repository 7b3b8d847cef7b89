/**
 * A tiny RDB writer for tests, written from the published format (redis rdb.c / rdb.h, librdb for RDB 13): lengths,
 * strings (raw, int8/16/32, LZF), opcodes, listpacks, and the CRC64 (Jones) trailer. It builds the cases that no
 * corpus file covers. Nothing here validates: it writes exactly what it is told, lies included.
 */

const POLY_REFLECTED = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 bit-reversed
const MASK64 = 0xffffffffffffffffn;
let table: BigUint64Array | null = null;

/** CRC-64/Jones as in Redis crc64.c: reflected, init 0, no final xor. crc64("123456789") = 0xe9c6d914c4b8d9ca. */
export function crc64(data: Uint8Array, crc = 0n): bigint {
  if (!table) {
    table = new BigUint64Array(256);
    for (let i = 0; i < 256; i++) {
      let c = BigInt(i);
      for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY_REFLECTED : c >> 1n;
      table[i] = c;
    }
  }
  for (const b of data) crc = table[Number((crc ^ BigInt(b)) & 0xffn)]! ^ (crc >> 8n);
  return crc & MASK64;
}

/** RDB length encoding: 6-bit, 14-bit, 32-bit (0x80) or 64-bit (0x81), big-endian for the last two. */
export function encLen(n: number | bigint, force?: 6 | 14 | 32 | 64): Buffer {
  const v = BigInt(n);
  const w = force ?? (v < 64n ? 6 : v < 16384n ? 14 : v <= 0xffffffffn ? 32 : 64);
  if (w === 6) return Buffer.from([Number(v)]);
  if (w === 14) return Buffer.from([0x40 | Number(v >> 8n), Number(v & 0xffn)]);
  if (w === 32) { const b = Buffer.alloc(5); b[0] = 0x80; b.writeUInt32BE(Number(v), 1); return b; }
  const b = Buffer.alloc(9); b[0] = 0x81; b.writeBigUInt64BE(v, 1); return b;
}

/** A length-prefixed raw string. */
export function encStr(s: string | Uint8Array): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : Buffer.from(s);
  return Buffer.concat([encLen(b.length), b]);
}

/** An integer-encoded string (0xC0 int8, 0xC1 int16, 0xC2 int32, little-endian). */
export function encIntStr(v: number): Buffer {
  if (v >= -128 && v <= 127) { const b = Buffer.alloc(2); b[0] = 0xc0; b.writeInt8(v, 1); return b; }
  if (v >= -32768 && v <= 32767) { const b = Buffer.alloc(3); b[0] = 0xc1; b.writeInt16LE(v, 1); return b; }
  const b = Buffer.alloc(5); b[0] = 0xc2; b.writeInt32LE(v, 1); return b;
}

/**
 * LZF-compresses with literal runs and distance-1 back-references for runs of one repeated byte (valid LZF that
 * exercises both token kinds), as a 0xC3 string: clen, ulen, data.
 */
export function encLzfStr(s: string | Uint8Array): Buffer {
  const src = typeof s === 'string' ? Buffer.from(s) : Buffer.from(s);
  const out: number[] = [];
  let lit: number[] = [];
  const flush = (): void => { while (lit.length) { const run = lit.splice(0, 32); out.push(run.length - 1, ...run); } };
  let i = 0;
  while (i < src.length) {
    let run = 0;
    while (i > 0 && i + run < src.length && src[i + run] === src[i - 1] && run < 264) run++;
    if (run >= 3) {
      flush();
      const len = run - 2; // distance 1 -> off 0
      if (len < 7) out.push(len << 5, 0);
      else out.push(7 << 5, len - 7, 0);
      i += run;
    } else {
      lit.push(src[i]!);
      i++;
    }
  }
  flush();
  return Buffer.concat([Buffer.from([0xc3]), encLen(out.length), encLen(src.length), Buffer.from(out)]);
}

/** A listpack of strings (< 64 bytes) and integers (0..127 as 7-bit uint, else int64). */
export function listpack(items: Array<string | number | bigint>): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    let e: Buffer;
    if (typeof it === 'number' && Number.isInteger(it) && it >= 0 && it <= 127) e = Buffer.from([it]);
    else if (typeof it === 'number' || typeof it === 'bigint') { e = Buffer.alloc(9); e[0] = 0xf4; e.writeBigInt64LE(BigInt(it), 1); }
    else {
      const s = Buffer.from(it);
      if (s.length >= 64) throw new Error('listpack helper: strings under 64 bytes only');
      e = Buffer.concat([Buffer.from([0x80 | s.length]), s]);
    }
    parts.push(e, Buffer.from([e.length])); // backlen: one byte for entries under 128 bytes
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(6);
  head.writeUInt32LE(6 + body.length + 1, 0);
  head.writeUInt16LE(items.length, 4);
  return Buffer.concat([head, body, Buffer.from([0xff])]);
}

export const OP = {
  KEY_META: 243, SLOT_INFO: 244, FUNCTION2: 245, MODULE_AUX: 247, IDLE: 248, FREQ: 249, AUX: 250, RESIZEDB: 251,
  EXPIRETIME_MS: 252, EXPIRETIME: 253, SELECTDB: 254, EOF: 255,
} as const;

/** Builds an RDB byte by byte. */
export class RdbWriter {
  private readonly parts: Buffer[] = [];

  constructor(magic: 'REDIS' | 'VALKEY' = 'REDIS', version = 9) {
    this.raw(`${magic}${String(version).padStart(magic === 'VALKEY' ? 3 : 4, '0')}`);
  }

  raw(b: string | Uint8Array | number[]): this {
    this.parts.push(typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b as Uint8Array));
    return this;
  }

  byte(...b: number[]): this { return this.raw(b); }
  len(n: number | bigint, force?: 6 | 14 | 32 | 64): this { return this.raw(encLen(n, force)); }
  str(s: string | Uint8Array): this { return this.raw(encStr(s)); }
  intStr(v: number): this { return this.raw(encIntStr(v)); }
  lzfStr(s: string | Uint8Array): this { return this.raw(encLzfStr(s)); }
  aux(k: string, v: string): this { return this.byte(OP.AUX).str(k).str(v); }
  selectDb(db: number): this { return this.byte(OP.SELECTDB).len(db); }
  resizeDb(keys: number, expires: number): this { return this.byte(OP.RESIZEDB).len(keys).len(expires); }
  expireMs(ms: number): this { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(ms)); return this.byte(OP.EXPIRETIME_MS).raw(b); }
  expireS(s: number): this { const b = Buffer.alloc(4); b.writeInt32LE(s); return this.byte(OP.EXPIRETIME).raw(b); }
  idle(s: number): this { return this.byte(OP.IDLE).len(s); }
  freq(f: number): this { return this.byte(OP.FREQ, f); }
  /** A type byte and the key name. */
  key(type: number, name: string | Uint8Array): this { return this.byte(type).str(name); }
  u64le(v: bigint | number): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return this.raw(b); }
  i64le(v: bigint | number): this { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); return this.raw(b); }
  /** Binary double (ZSET_2 scores). */
  f64le(v: number): this { const b = Buffer.alloc(8); b.writeDoubleLE(v); return this.raw(b); }

  /** Bytes written so far. */
  get size(): number { return this.parts.reduce((n, p) => n + p.length, 0); }

  /** EOF opcode plus, for RDB >= 5, the CRC64 of everything before it (`'zero'`: the disabled-checksum form). */
  end(checksum: 'crc' | 'zero' | 'none' | bigint = 'crc'): Buffer {
    this.byte(OP.EOF);
    const body = Buffer.concat(this.parts);
    if (checksum === 'none') return body;
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(checksum === 'zero' ? 0n : checksum === 'crc' ? crc64(body) : checksum);
    return Buffer.concat([body, b]);
  }
}
