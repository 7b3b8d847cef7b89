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
