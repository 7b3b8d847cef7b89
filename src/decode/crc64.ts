/**
 * CRC-64 as Redis computes the RDB trailer (crc64.c: Jones polynomial 0xad93d23594c935a9, reflected input and
 * output, initial value 0, no final xor). The 64-bit state is kept as two uint32 halves; a slicing-by-8 table set
 * makes it fast enough to run over every byte of a dump.
 */
const POLY_HI = 0x95ac9329; // bit-reversed polynomial, high half
const POLY_LO = 0xac4bc9b5;

const TABLES = 8;
// Int32Array, not Uint32Array: values stay small integers in V8 instead of becoming heap doubles above 2^31.
const T_HI = new Int32Array(256 * TABLES);
const T_LO = new Int32Array(256 * TABLES);

for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let k = 0; k < 8; k++) {
    const bit = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (bit) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  T_HI[i] = hi | 0;
  T_LO[i] = lo | 0;
}
for (let t = 1; t < TABLES; t++) {
  for (let i = 0; i < 256; i++) {
    const prevHi = T_HI[(t - 1) * 256 + i]!;
    const prevLo = T_LO[(t - 1) * 256 + i]!;
    const idx = prevLo & 0xff;
    T_HI[t * 256 + i] = T_HI[idx]! ^ (prevHi >>> 8);
    T_LO[t * 256 + i] = T_LO[idx]! ^ ((prevLo >>> 8) | ((prevHi & 0xff) << 24));
  }
}

export class Crc64 {
  private hi = 0;
  private lo = 0;

  update(buf: Uint8Array, start: number, end: number): void {
    let hi = this.hi;
    let lo = this.lo;
    let i = start;
    while (i + 8 <= end) {
      const l = lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
      const h = hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24));
      const a = 7 * 256 + (l & 0xff), b = 6 * 256 + ((l >>> 8) & 0xff), c = 5 * 256 + ((l >>> 16) & 0xff);
      const d = 4 * 256 + (l >>> 24), e = 3 * 256 + (h & 0xff), f = 2 * 256 + ((h >>> 8) & 0xff);
      const g = 256 + ((h >>> 16) & 0xff), k = h >>> 24;
      hi = T_HI[a]! ^ T_HI[b]! ^ T_HI[c]! ^ T_HI[d]! ^ T_HI[e]! ^ T_HI[f]! ^ T_HI[g]! ^ T_HI[k]!;
      lo = T_LO[a]! ^ T_LO[b]! ^ T_LO[c]! ^ T_LO[d]! ^ T_LO[e]! ^ T_LO[f]! ^ T_LO[g]! ^ T_LO[k]!;
      i += 8;
    }
    for (; i < end; i++) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = T_LO[idx]! ^ ((lo >>> 8) | ((hi & 0xff) << 24));
      hi = T_HI[idx]! ^ (hi >>> 8);
    }
    this.hi = hi;
    this.lo = lo;
  }

  /** The CRC as 16 lower-case hex digits (the value, not the little-endian file bytes). */
  hex(): string {
    return crcHex(this.hi, this.lo);
  }

  /** The two 32-bit halves (high, low) as signed integers, for passing between threads. */
  words(): [number, number] {
    return [this.hi, this.lo];
  }
}

export function crcHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
