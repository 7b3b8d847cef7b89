/**
 * A reservoir of values per key family, filled while a dump is decoded. Whether a key is sampled is decided when
 * its header is read, before any of its bytes are copied: a key that is not sampled costs a map lookup and a
 * random number. A sampled key keeps a prefix of its value (a string) or of up to {@link ELEMENTS_PER_KEY} of its
 * elements (list items, set and sorted-set members, hash field values), themselves a uniform sample of its elements.
 *
 * Memory is bounded whatever the dump: at most `perFamily` keys a family, `valueBytes` bytes a key, families up to
 * {@link MAX_FAMILIES}, and a global byte budget over all of it: past the budget, random keys of the family holding
 * the most bytes are dropped (a uniform sample stays uniform) and that family keeps fewer from then on.
 */
import type { KeyRecord, RedisType, Scalar } from '../decode/model.js';

export interface SampleOptions {
  /** Keys sampled per family (reservoir size). */
  readonly perFamily: number;
  /** Bytes kept of a sampled key's value (a string's prefix; the elements of a collection share it). */
  readonly valueBytes: number;
  /** Bytes all families' samples may hold together (values plus a fixed overhead per kept value). */
  readonly budgetBytes: number;
}

export const DEFAULT_SAMPLE: SampleOptions = { perFamily: 1000, valueBytes: 64 * 1024, budgetBytes: 8 * 1024 * 1024 };

/** Elements kept of one sampled collection. */
export const ELEMENTS_PER_KEY = 16;
/** Families sampled (keys of further families are not). */
export const MAX_FAMILIES = 2000;
/** What the JS heap spends on a kept value beyond its bytes (object, array slots, typed-array header). */
const VALUE_OVERHEAD = 16;
const ITEM_OVERHEAD = 160;

/** One sampled key. */
export interface SampledKey {
  readonly type: RedisType;
  readonly keyLen: number;
  /** The key's memory as the inventory counts it. */
  readonly memory: number;
  readonly ttl: boolean;
  /** The key's element count (1 for a string). */
  readonly elements: number;
  /** The kept bytes of the sampled values, one after the other (a string: one; a collection: up to ELEMENTS_PER_KEY). */
  readonly data: Uint8Array;
  /** Where each value ends in data (one allocation a key: a replaced key leaves little for the GC to find). */
  readonly ends: number[];
  /** The whole length of each of those values (more than values[i].length when only a prefix was kept). */
  readonly lengths: number[];
  /** Bytes this entry counts against the budget. */
  readonly cost: number;
}

export interface Reservoir {
  /** Keys of the family seen (sampled or not). */
  seen: number;
  /** Keys the reservoir holds at most (perFamily, or fewer once the budget made it drop some). */
  cap: number;
  items: SampledKey[];
  bytes: number;
}

/** xorshift32: a fast deterministic generator (a sample is the same on every run of the same dump). */
class Random {
  private s = 0x9e3779b9;
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
}

const encoder = new TextEncoder();

/** The values of a sampled key, as views into its one allocation. */
export function sampledValues(k: SampledKey): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const e of k.ends) {
    out.push(k.data.subarray(from, e));
    from = e;
  }
  return out;
}

export class ValueSampler {
  private readonly families = new Map<string, Reservoir>();
  private readonly rnd = new Random();
  private total = 0;
  // The key being sampled.
  private fam: Reservoir | null = null;
  private slot = -1;
  /** The current key's values: slot i of the scratch holds element i (a string: slot 0 holds all of it). */
  private readonly scratch: Uint8Array;
  private kept: number[] = [];
  private lengths: number[] = [];
  private count = 0;
  private elementsSeen = 0;
  private readonly elementBytes: number;

  constructor(private readonly opts: SampleOptions) {
    this.elementBytes = Math.max(16, Math.floor(opts.valueBytes / ELEMENTS_PER_KEY));
    this.scratch = new Uint8Array(Math.max(opts.valueBytes, this.elementBytes * ELEMENTS_PER_KEY));
  }

  /** Copies v (its first `max` bytes) into slot `at` of the scratch. */
  private put(at: number, v: Uint8Array, max: number, len: number): void {
    const n = Math.min(max, v.length);
    this.scratch.set(v.subarray(0, n), at * this.elementBytes);
    this.kept[at] = n;
    this.lengths[at] = len;
    if (at >= this.count) this.count = at + 1;
  }

  /** At a key's header: whether it is sampled; returns the bytes wanted of its value (0: not sampled). */
  begin(pattern: string | null): number {
    this.fam = null;
    if (pattern === null) return 0;
    let fam = this.families.get(pattern);
    if (!fam) {
      if (this.families.size >= MAX_FAMILIES) return 0;
      fam = { seen: 0, cap: this.opts.perFamily, items: [], bytes: 0 };
      this.families.set(pattern, fam);
    }
    const n = ++fam.seen;
    let slot: number;
    if (fam.items.length < fam.cap) slot = fam.items.length;
    else {
      slot = Math.floor(this.rnd.next() * n);
      if (slot >= fam.cap) return 0;
    }
    this.fam = fam;
    this.slot = slot;
    this.count = 0;
    this.kept = [];
    this.lengths = [];
    this.elementsSeen = 0;
    return this.opts.valueBytes;
  }

  /** A string value's first bytes (`len`: its whole length). */
  string(sample: Uint8Array, len: number): void {
    if (!this.fam || this.count > 0) return;
    this.put(0, sample, this.opts.valueBytes, len);
  }

  /** A string value given whole (short strings, integers) when no sample of it came. */
  stringValue(len: number, value: Scalar | null): void {
    if (!this.fam || this.count > 0 || value === null) return;
    if (value instanceof Uint8Array) this.put(0, value, this.opts.valueBytes, len);
    else this.put(0, encoder.encode(String(value)), this.opts.valueBytes, len);
  }

  /** One element of a sampled collection: kept by a reservoir of ELEMENTS_PER_KEY within the key. */
  element(v: Scalar): void {
    if (!this.fam) return;
    const i = this.elementsSeen++;
    let at: number;
    if (i < ELEMENTS_PER_KEY) at = i;
    else {
      at = Math.floor(this.rnd.next() * (i + 1));
      if (at >= ELEMENTS_PER_KEY) return;
    }
    const b = v instanceof Uint8Array ? v : encoder.encode(String(v));
    this.put(at, b, this.elementBytes, b.length);
  }

  /** At the end of a key: keeps it in its family's reservoir. */
  end(r: KeyRecord, memory: number): void {
    const fam = this.fam;
    this.fam = null;
    if (!fam || r.type === 'stream' || r.type === 'module') return;
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.kept[i]!;
    // The key it replaces lends its buffer when that fits (values of a family are often alike in size): fewer
    // allocations become garbage while a reservoir turns over.
    const old = fam.items[this.slot];
    const lend = old ? old.data.buffer.byteLength : 0;
    const data = old && lend >= total && lend <= 2 * total + 64 ? new Uint8Array(old.data.buffer, 0, total) : new Uint8Array(total);
    const ends: number[] = [];
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      const n = this.kept[i]!;
      data.set(this.scratch.subarray(i * this.elementBytes, i * this.elementBytes + n), at);
      at += n;
      ends.push(at);
    }
    const cost = ITEM_OVERHEAD + data.buffer.byteLength + VALUE_OVERHEAD * this.count;
    const item: SampledKey = {
      type: r.type, keyLen: r.key.length, memory, ttl: r.expiresAtMs !== null, elements: r.type === 'string' ? 1 : r.length,
      data, ends, lengths: this.lengths, cost,
    };
    this.kept = [];
    this.lengths = [];
    if (old) {
      fam.bytes -= old.cost;
      this.total -= old.cost;
    }
    fam.items[this.slot] = item;
    fam.bytes += cost;
    this.total += cost;
    if (this.total > this.opts.budgetBytes) this.shrink();
  }

  /** Drops random keys of the family that holds the most bytes until the samples fit 90 % of the budget. */
  private shrink(): void {
    const target = this.opts.budgetBytes * 0.9;
    while (this.total > target) {
      let big: Reservoir | null = null;
      for (const f of this.families.values()) if (!big || f.bytes > big.bytes) big = f;
      if (!big || big.items.length <= 1) return;
      // Down to the family's share of the target, or by an eighth, whichever drops less.
      const goal = Math.max(big.bytes - (this.total - target), big.bytes * 0.875);
      while (big.items.length > 1 && big.bytes > goal) {
        const i = Math.floor(this.rnd.next() * big.items.length);
        const gone = big.items[i]!;
        big.items[i] = big.items[big.items.length - 1]!;
        big.items.pop();
        big.bytes -= gone.cost;
        this.total -= gone.cost;
      }
      big.cap = big.items.length;
    }
  }

  /** Bytes the samples hold now (as counted against the budget). */
  bytes(): number {
    return this.total;
  }

  /** The reservoirs; analysis empties each once done with it (see release). */
  reservoirs(): ReadonlyMap<string, Reservoir> {
    return this.families;
  }
}
