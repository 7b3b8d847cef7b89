import { intLen } from './blobs.js';
import { Crc64 } from './crc64.js';
import { DecodeFault } from './errors.js';
import { lzfDecompress, lzfMaxOutput, LzfStream } from './lzf.js';
import type { Scalar } from './model.js';
import type { ByteSource } from './source.js';

const CHUNK = 1 << 20;
/** The longest string header: an encoding byte and two 9-byte lengths (LZF), plus room to spare. */
const KEEP_MARGIN = 32;

/** RDB string forms, as `ByteReader.strKind` after `stringHeader()`. */
export const enum StrKind {
  Raw = 0,
  Int = 1,
  Lzf = 2,
}

/** Length-prefix forms (rdb.h RDB_6BITLEN ... RDB_ENCVAL), as returned by `lengthOrEncoding()`. */
export const ENC_INT8 = -1;
export const ENC_INT16 = -2;
export const ENC_INT32 = -3;
export const ENC_LZF = -4;

export interface ReaderLimits {
  /** Largest single string the decoder will hold in memory (a blob or a value asked for). */
  readonly maxStringBytes: number;
  /** Bytes left in the input when known (an uncompressed file): lengths past it fail before any allocation. */
  readonly inputSize: number | null;
}

/**
 * Pulls bytes from a {@link ByteSource} into a window and reads RDB primitives from it. Every read checks bounds
 * and pulls more when needed; a short input becomes a {@link DecodeFault} naming the offset and what was being
 * read. A refill copies the unread tail into a fresh window, so views handed out earlier stay intact.
 */
export class ByteReader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** Absolute offset of buf[0]. */
  base = 0;
  private crcFrom = 0;
  private sourceDone = false;
  /**
   * Windows are recycled in a ring of three: a view taken before a refill stays intact through the next two
   * refills. Code that holds a view while it reads more (a hash field while it reads the value) passes it
   * through keep(), which copies it only when the window is nearly used up. Windows larger than CHUNK are
   * never recycled.
   */
  private readonly ring: Uint8Array[] = [new Uint8Array(CHUNK), new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
  private ringNext = 0;

  /** Set by stringHeader(). */
  strKind: StrKind = StrKind.Raw;
  /** Decoded length of the string (digits for an integer). */
  strLen = 0;
  /** Stored length (compressed length for LZF). */
  strStored = 0;
  strInt = 0;

  constructor(
    private readonly source: ByteSource,
    readonly crc: Crc64 | null,
    private readonly limits: ReaderLimits,
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }

  fault(expected: string, at = this.offset): DecodeFault {
    return new DecodeFault(at, expected);
  }

  /** Makes at least `n` bytes readable at `pos`. */
  need(n: number, what: string): void {
    if (this.end - this.pos >= n) return;
    this.fill(n, what);
  }

  private fill(n: number, what: string): void {
    if (this.limits.inputSize !== null && this.offset + n > this.limits.inputSize) {
      throw this.fault(`${what}: needs ${n} bytes but the file has ${this.limits.inputSize - this.offset} left`);
    }
    if (this.crc) this.crc.update(this.buf, this.crcFrom, this.pos);
    const keep = this.end - this.pos;
    let next: Uint8Array;
    if (n <= CHUNK && keep <= CHUNK) {
      next = this.ring[this.ringNext]!;
      this.ringNext = (this.ringNext + 1) % this.ring.length;
    } else next = new Uint8Array(Math.max(CHUNK, n + (n >> 1)));
    next.set(this.buf.subarray(this.pos, this.end), 0);
    this.base += this.pos;
    this.buf = next;
    this.pos = 0;
    this.crcFrom = 0;
    this.end = keep;
    while (this.end < n) {
      const got = this.sourceDone ? 0 : this.source.read(this.buf, this.end, this.buf.length - this.end);
      if (got === 0) {
        this.sourceDone = true;
        throw this.fault(`${what}: needs ${n} bytes, input ends after ${this.end}`);
      }
      this.end += got;
    }
  }

  /** Folds every byte consumed so far into the running checksum. */
  settleCrc(): void {
    if (this.crc) this.crc.update(this.buf, this.crcFrom, this.pos);
    this.crcFrom = this.pos;
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.fill(1, what);
    return this.buf[this.pos++]!;
  }

  u32le(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  /** A signed 64-bit little-endian integer as a number (exact up to 2^53). */
  i64le(what: string): number {
    this.need(8, what);
    const lo = this.u32le(what);
    const hi = this.u32le(what);
    return (hi | 0) * 0x100000000 + lo;
  }

  f64le(what: string): number {
    this.need(8, what);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  f32le(what: string): number {
    this.need(4, what);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** A view of the next `n` bytes. */
  view(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number, what: string): void {
    if (this.limits.inputSize !== null && this.offset + n > this.limits.inputSize) {
      throw this.fault(`${what}: needs ${n} bytes but the file has ${this.limits.inputSize - this.offset} left`);
    }
    while (n > 0) {
      if (this.pos >= this.end) this.fill(1, what);
      const take = Math.min(n, this.end - this.pos);
      this.pos += take;
      n -= take;
    }
  }

  /** An RDB length (rdbLoadLen), or one of the ENC_* codes for the special string encodings. */
  lengthOrEncoding(what: string): number {
    const first = this.u8(what);
    switch (first >> 6) {
      case 0:
        return first & 0x3f;
      case 1:
        return ((first & 0x3f) << 8) | this.u8(what);
      case 2:
        if (first === 0x80) {
          this.need(4, what);
          const b = this.buf;
          const p = this.pos;
          this.pos += 4;
          return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
        }
        if (first === 0x81) {
          const hi = this.u32be(what);
          const lo = this.u32be(what);
          if (hi >= 0x200000) throw this.fault(`${what}: a 64-bit length over 2^53`, this.offset - 8);
          return hi * 0x100000000 + lo;
        }
        throw this.fault(`${what}: a length, got unknown length prefix 0x${first.toString(16)}`, this.offset - 1);
      default: {
        const enc = first & 0x3f;
        if (enc > 3) throw this.fault(`${what}: a string encoding 0-3, got ${enc}`, this.offset - 1);
        return -1 - enc;
      }
    }
  }

  private u32be(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /**
   * A view that must stay valid while the caller reads one more string (header and body) and at most one more
   * fixed-size item: copied when fewer than KEEP_MARGIN bytes are left in the window, since then the header
   * itself may need a refill, and with the body and the item a third refill could reuse this view's window.
   * With the margin, the string's header is already in the window, so at most two refills follow.
   */
  keep(v: Scalar): Scalar {
    return v instanceof Uint8Array && this.end - this.pos < KEEP_MARGIN ? v.slice() : v;
  }

  /** A length that may use all 64 bits (module ids). */
  lengthBig(what: string): bigint {
    this.need(1, what);
    if (this.buf[this.pos] === 0x81) {
      this.pos++;
      const hi = this.u32be(what);
      const lo = this.u32be(what);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return BigInt(this.length(what));
  }

  /** A plain length: the special string encodings are an error here. */
  length(what: string): number {
    const n = this.lengthOrEncoding(what);
    if (n < 0) throw this.fault(`${what}: a length, got a string encoding marker`, this.offset - 1);
    return n;
  }

  /** Reads a string's prefix; sets strKind/strLen/strStored/strInt. The body (if any) follows at pos. */
  stringHeader(what: string): void {
    const n = this.lengthOrEncoding(what);
    if (n >= 0) {
      this.strKind = StrKind.Raw;
      this.strLen = this.strStored = n;
      return;
    }
    if (n === ENC_LZF) {
      const clen = this.length(what);
      const ulen = this.length(what);
      if (ulen > lzfMaxOutput(clen)) throw this.fault(`${what}: LZF string of ${clen} bytes cannot expand to ${ulen}`);
      this.strKind = StrKind.Lzf;
      this.strStored = clen;
      this.strLen = ulen;
      return;
    }
    let v: number;
    if (n === ENC_INT8) v = (this.u8(what) << 24) >> 24;
    else if (n === ENC_INT16) {
      this.need(2, what);
      v = ((this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8)) << 16) >> 16;
      this.pos += 2;
    } else v = this.u32le(what) | 0;
    this.strKind = StrKind.Int;
    this.strInt = v;
    this.strStored = 0;
    this.strLen = decimalLength(v);
  }

  /** After stringHeader(): the body as bytes (a view for raw strings, a new array for LZF). */
  stringBody(what: string): Uint8Array {
    if (this.strKind === StrKind.Raw) {
      this.checkSize(this.strLen, what);
      return this.view(this.strLen, what);
    }
    if (this.strKind === StrKind.Int) return new TextEncoder().encode(String(this.strInt));
    this.checkSize(this.strLen, what);
    const at = this.offset;
    const packed = this.view(this.strStored, what);
    const out = new Uint8Array(this.strLen);
    if (!lzfDecompress(packed, 0, packed.length, out)) throw this.fault(`${what}: valid LZF data of ${this.strLen} bytes`, at);
    return out;
  }

  /**
   * After stringHeader(): passes the body to `emit` in pieces of at most 64 KiB (each valid until `emit` returns),
   * decompressing LZF as it goes: a value of any size in constant memory.
   */
  streamStringBody(what: string, emit: (piece: Uint8Array) => void): void {
    const PIECE = 64 * 1024;
    if (this.strKind === StrKind.Int) {
      emit(this.stringBody(what));
      return;
    }
    if (this.strKind === StrKind.Raw) {
      for (let left = this.strLen; left > 0;) {
        const n = Math.min(left, PIECE);
        emit(this.view(n, what));
        left -= n;
      }
      return;
    }
    const at = this.offset;
    const lzf = new LzfStream(this.strLen, emit, (why) => {
      throw this.fault(`${what}: valid LZF data of ${this.strLen} bytes (${why})`, at);
    });
    for (let left = this.strStored; left > 0;) {
      const n = Math.min(left, PIECE);
      lzf.push(this.view(n, what));
      left -= n;
    }
    lzf.end();
  }

  private scratch = new Uint8Array(1 << 16);

  /**
   * After stringHeader(): the body as bytes that are only valid until the next call of this method (LZF output
   * goes to a reused scratch buffer). For compact blobs that are walked and dropped.
   */
  transientBody(what: string): Uint8Array {
    if (this.strKind !== StrKind.Lzf) return this.stringBody(what);
    this.checkSize(this.strLen, what);
    const at = this.offset;
    const packed = this.view(this.strStored, what);
    if (this.scratch.length < this.strLen) this.scratch = new Uint8Array(Math.max(this.strLen, this.scratch.length * 2));
    const out = this.scratch.subarray(0, this.strLen);
    if (!lzfDecompress(packed, 0, packed.length, out)) throw this.fault(`${what}: valid LZF data of ${this.strLen} bytes`, at);
    return out;
  }

  /** After stringHeader(): the value as a Scalar (integers stay numbers). */
  stringScalar(what: string): Scalar {
    return this.strKind === StrKind.Int ? this.strInt : this.stringBody(what);
  }

  /** After stringHeader(): passes over the body without decoding it. */
  skipStringBody(what: string): void {
    if (this.strKind !== StrKind.Int) this.skip(this.strStored, what);
  }

  /** A whole string as bytes. */
  string(what: string): Uint8Array {
    this.stringHeader(what);
    return this.stringBody(what);
  }

  scalar(what: string): Scalar {
    this.stringHeader(what);
    return this.stringScalar(what);
  }

  private checkSize(n: number, what: string): void {
    if (n > this.limits.maxStringBytes) {
      throw this.fault(`${what}: a string of at most ${this.limits.maxStringBytes} bytes (maxStringBytes), got ${n}`);
    }
  }
}

export const decimalLength = intLen;
