/**
 * LZF decompression (liblzf's format, as Redis writes compressed strings): a control byte below 32 starts a run
 * of `ctrl + 1` literal bytes; otherwise its top 3 bits are a back-reference length (7 means one more length byte
 * follows) and its low 5 bits, with the next byte, the distance back.
 * Returns false when the input is not valid LZF for the declared output size.
 */
export function lzfDecompress(input: Uint8Array, inStart: number, inEnd: number, out: Uint8Array): boolean {
  let ip = inStart;
  let op = 0;
  const outLen = out.length;
  while (ip < inEnd) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > outLen || ip + run > inEnd) return false;
      // Runs are at most 32 bytes: a loop beats subarray()+set() and allocates nothing.
      for (let k = 0; k < run; k++) out[op + k] = input[ip + k]!;
      op += run;
      ip += run;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= inEnd) return false;
        len += input[ip++]!;
      }
      if (ip >= inEnd) return false;
      const ref = op - ((ctrl & 0x1f) << 8) - input[ip++]! - 1;
      len += 2;
      if (ref < 0 || op + len > outLen) return false;
      if (len >= 32 && ref + len <= op) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Byte by byte: the source may overlap the destination (a repeated pattern).
        for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
      }
    }
  }
  return op === outLen;
}

/** The most output LZF can produce from `compressed` bytes (a 2-byte back-reference yields at most 264 bytes). */
export function lzfMaxOutput(compressed: number): number {
  return compressed * 132 + 264;
}

/**
 * Decompresses as much of an LZF prefix as fits in `out` (for sampling a large value without inflating it all).
 * Stops at the first token that runs past the input or the output; returns the bytes produced.
 */
export function lzfDecompressPrefix(input: Uint8Array, out: Uint8Array): number {
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip]!;
    if (ctrl < 32) {
      const run = Math.min(ctrl + 1, out.length - op, input.length - ip - 1);
      out.set(input.subarray(ip + 1, ip + 1 + run), op);
      op += run;
      if (run < ctrl + 1) break;
      ip += ctrl + 2;
    } else {
      let len = ctrl >> 5;
      let p = ip + 1;
      if (len === 7) len += input[p++] ?? 0;
      if (p >= input.length) break;
      const ref = op - ((ctrl & 0x1f) << 8) - input[p++]! - 1;
      len += 2;
      if (ref < 0) break;
      const n = Math.min(len, out.length - op);
      for (let k = 0; k < n; k++) out[op++] = out[ref + k]!;
      if (n < len) break;
      ip = p;
    }
  }
  return op;
}

/** LZF back-references reach at most this far back (13 bits of distance). */
const LZF_WINDOW = 8192;
/** Output is handed out in pieces of about this size. */
const LZF_PIECE = 64 * 1024;

/**
 * LZF decompression in pieces, for a value too big to hold: compressed input is pushed as it is read, and the
 * output goes to `emit` in pieces of about 64 KiB (each valid until `emit` returns), with only the 8 KiB window
 * that back-references can reach kept in between. `fail(why)` is called (and must throw) for input that is not
 * valid LZF for `outLen` bytes.
 */
export class LzfStream {
  private readonly out = new Uint8Array(LZF_WINDOW + LZF_PIECE + 264);
  private op = 0;
  /** Output bytes before out[0]. */
  private base = 0;
  /** out[0..emitted) was handed out already. */
  private emitted = 0;
  /** The bytes of a token cut by the end of the previous input piece. */
  private carry: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly outLen: number,
    private readonly emit: (piece: Uint8Array) => void,
    private readonly fail: (why: string) => never,
  ) {}

  push(piece: Uint8Array): void {
    let input = piece;
    if (this.carry.length > 0) {
      input = new Uint8Array(this.carry.length + piece.length);
      input.set(this.carry);
      input.set(piece, this.carry.length);
    }
    const out = this.out;
    let ip = 0;
    let op = this.op;
    const n = input.length;
    while (ip < n) {
      const ctrl = input[ip]!;
      let need: number;
      if (ctrl < 32) need = ctrl + 2;
      else need = ctrl >> 5 === 7 ? 3 : 2;
      if (ip + need > n) break; // the rest of this token comes with the next piece
      if (op + 264 > out.length) op = this.flush(op);
      if (ctrl < 32) {
        const run = ctrl + 1;
        if (this.base + op + run > this.outLen) this.fail(`LZF data longer than the declared ${this.outLen} bytes`);
        for (let k = 0; k < run; k++) out[op + k] = input[ip + 1 + k]!;
        op += run;
      } else {
        let len = ctrl >> 5;
        let p = ip + 1;
        if (len === 7) len += input[p++]!;
        const dist = ((ctrl & 0x1f) << 8) + input[p]! + 1;
        len += 2;
        const ref = op - dist;
        if (this.base + ref < 0) this.fail(`LZF back-reference to before the start of the value`);
        if (this.base + op + len > this.outLen) this.fail(`LZF data longer than the declared ${this.outLen} bytes`);
        for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
      }
      ip += need;
    }
    this.op = op;
    this.carry = ip < n ? input.slice(ip) : new Uint8Array(0);
  }

  /** After the last input: hands out the rest and checks the length. */
  end(): void {
    if (this.carry.length > 0) this.fail('LZF data ends inside a token');
    if (this.op > this.emitted) this.emit(this.out.subarray(this.emitted, this.op));
    if (this.base + this.op !== this.outLen) this.fail(`LZF data gives ${this.base + this.op} bytes, ${this.outLen} declared`);
  }

  /** Hands out what is new and keeps the last window's bytes at the start; returns the new output position. */
  private flush(op: number): number {
    const out = this.out;
    if (op > this.emitted) this.emit(out.subarray(this.emitted, op));
    const keep = Math.min(op, LZF_WINDOW);
    out.copyWithin(0, op - keep, op);
    this.base += op - keep;
    this.emitted = keep;
    return keep;
  }
}
