/**
 * A batch of KeyRows packed into a few typed arrays for the trip from the decoding worker to the writer:
 * transferred, not cloned (structured cloning 2,000 small arrays per batch costs more than decoding them).
 * Numbers go in one Float64Array (NaN = NULL), key bytes in one buffer, repeated strings (type, encoding,
 * pattern, module) as codes into a per-batch dictionary, key_text as a "valid UTF-8" flag.
 */
import type { KeyRow } from './batch.js';

/** Row positions of the numeric columns. */
const NUM = [0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 19, 20] as const;
/** Row positions of the dictionary-coded string columns. */
const STR = [3, 4, 15, 17, 18] as const;

export interface PackedBatch {
  n: number;
  nums: Float64Array;
  keys: Uint8Array;
  keyEnds: Uint32Array;
  utf8: Uint8Array;
  codes: Uint32Array;
  dict: string[];
}

/**
 * Packs rows one at a time as they come (the row array can be reused by the caller): no batch of row arrays is
 * kept alive, and each value is touched once.
 */
export class BatchPacker {
  private n = 0;
  private nums: Float64Array;
  private keyEnds: Uint32Array;
  private utf8: Uint8Array;
  private codes: Uint32Array;
  private keys: Uint8Array;
  private keyPos = 0;
  private dict: string[] = [];
  private index = new Map<string, number>();

  constructor(private readonly capacity: number) {
    this.nums = new Float64Array(capacity * NUM.length);
    this.keyEnds = new Uint32Array(capacity);
    this.utf8 = new Uint8Array(capacity);
    this.codes = new Uint32Array(capacity * STR.length);
    this.keys = new Uint8Array(capacity * 32);
  }

  get length(): number {
    return this.n;
  }

  /** Copies the row in; key_text (r[2]) only matters as null or not (the writer decodes the key bytes). */
  push(r: KeyRow): void {
    const i = this.n++;
    const nums = this.nums;
    for (let c = 0; c < NUM.length; c++) {
      const v = r[NUM[c]!] as number | null;
      nums[i * NUM.length + c] = v === null ? NaN : v;
    }
    const key = r[1];
    if (this.keyPos + key.length > this.keys.length) {
      const grown = new Uint8Array(Math.max(this.keys.length * 2, this.keyPos + key.length));
      grown.set(this.keys.subarray(0, this.keyPos));
      this.keys = grown;
    }
    this.keys.set(key, this.keyPos);
    this.keyPos += key.length;
    this.keyEnds[i] = this.keyPos;
    this.utf8[i] = r[2] === null ? 0 : 1;
    for (let c = 0; c < STR.length; c++) {
      const s = r[STR[c]!] as string | null;
      let code = 0;
      if (s !== null) {
        code = this.index.get(s) ?? 0;
        if (code === 0) {
          code = this.dict.push(s);
          this.index.set(s, code);
        }
      }
      this.codes[i * STR.length + c] = code;
    }
  }

  full(): boolean {
    return this.n >= this.capacity;
  }

  /** The rows packed so far, as a batch whose buffers can be transferred; the packer starts over, empty. */
  take(): PackedBatch {
    const n = this.n;
    const b: PackedBatch = {
      n,
      nums: this.nums.slice(0, n * NUM.length),
      keys: this.keys.slice(0, this.keyPos),
      keyEnds: this.keyEnds.slice(0, n),
      utf8: this.utf8.slice(0, n),
      codes: this.codes.slice(0, n * STR.length),
      dict: this.dict,
    };
    this.n = 0;
    this.keyPos = 0;
    this.dict = [];
    this.index = new Map();
    return b;
  }
}

export function packRows(rows: KeyRow[]): PackedBatch {
  const p = new BatchPacker(Math.max(1, rows.length));
  for (const r of rows) p.push(r);
  return p.take();
}

/** The buffers to list as transferables when posting a batch. */
export function transferList(b: PackedBatch): ArrayBuffer[] {
  return [b.nums.buffer, b.keys.buffer, b.keyEnds.buffer, b.utf8.buffer, b.codes.buffer] as ArrayBuffer[];
}

/**
 * Calls `fn` with each row rebuilt (the row array is reused between calls; key is a view into the batch).
 * `flagOnly`: key_text is '' for a UTF-8 key instead of the decoded text (for a writer that stores only the flag).
 */
export function forEachRow(b: PackedBatch, flagOnly: boolean, fn: (row: KeyRow) => void): void {
  const row = new Array(21) as unknown as KeyRow;
  const keyBuf = Buffer.from(b.keys.buffer, b.keys.byteOffset, b.keys.byteLength);
  let start = 0;
  for (let i = 0; i < b.n; i++) {
    for (let c = 0; c < NUM.length; c++) {
      const v = b.nums[i * NUM.length + c]!;
      (row as unknown[])[NUM[c]!] = Number.isNaN(v) ? null : v;
    }
    const end = b.keyEnds[i]!;
    row[1] = keyBuf.subarray(start, end);
    row[2] = b.utf8[i] ? (flagOnly ? '' : keyBuf.toString('utf8', start, end)) : null;
    start = end;
    for (let c = 0; c < STR.length; c++) {
      const code = b.codes[i * STR.length + c]!;
      (row as unknown[])[STR[c]!] = code === 0 ? null : b.dict[code - 1]!;
    }
    fn(row);
  }
}
