/**
 * Hostile-input cases over small corpus files, shared by test/robustness.test.ts and scripts/fuzz.ts: every
 * truncation point, and seeded random mutations (bit flips, inserted, deleted and overwritten bytes, lying huge
 * lengths, splices of bytes from another file). Each case must end in a clean RdbError or a valid decode within
 * a time bound. Cases run in a worker thread with a bounded heap, watched from the calling thread: a case that
 * hangs (a synchronous loop cannot be interrupted otherwise) or exhausts the worker's memory is reported by name.
 */
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseChunks } from '../../src/decode/index.js';
import { collector, rdbErrorProblem } from './collect.js';
import { corpusFile } from './corpus.js';

/** Small files covering most encodings and opcodes. */
export const FUZZ_FILES = [
  'sripathikrishnan-redis-rdb-tools/zipmap_that_compresses_easily.rdb',
  'sripathikrishnan-redis-rdb-tools/intset_64.rdb',
  'sripathikrishnan-redis-rdb-tools/sorted_set_as_ziplist.rdb',
  'sripathikrishnan-redis-rdb-tools/integer_keys.rdb',
  'sripathikrishnan-redis-rdb-tools/keys_with_expiry.rdb',
  'sripathikrishnan-redis-rdb-tools/redis_40_with_module.rdb',
  'redis-redis/list-quicklist.rdb',
  'redis-redis/hash-ziplist.rdb',
  'HDT3213-rdb/listpack.rdb',
  'HDT3213-rdb/stream_listoacks_3.rdb',
  'HDT3213-rdb/hash_with_hfe.rdb',
  'HDT3213-rdb/valkey_hash2_with_hfe.rdb',
  'HDT3213-rdb/function.rdb',
  'redis-librdb/plain_zset_2_v11.rdb',
  'redis-librdb/string_lzf.rdb',
  'redis-librdb/stream_v13_idmp@cc8dd3b.rdb',
  'redis-librdb/hash_lp_with_hexpire_v12.rdb',
  'leonchen83-redis-replicator/dump-lru.rdb',
  'leonchen83-redis-replicator/dump-slot.rdb',
];

export interface FuzzCase { file: number; kind: string; bytes: Uint8Array; checksum: boolean }
export interface FuzzFailure { what: string; problem: string }
export type FuzzMode = 'truncate' | 'mutate';

/** xorshift32: the same seed gives the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

const HUGE = [[0x80, 0xff, 0xff, 0xff, 0xff], [0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xbf, 0xff], [0x80, 0x40, 0, 0, 0], [0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]];

/** One mutation of `src`; `other` lends bytes for splices. */
function mutate(src: Uint8Array, other: Uint8Array, r: () => number): { bytes: Uint8Array; kind: string } {
  const at = Math.floor(r() * src.length);
  const b = Buffer.from(src);
  switch (Math.floor(r() * 6)) {
    case 0: {
      const bits: number[] = [];
      for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
        const p = Math.floor(r() * src.length * 8);
        b[p >> 3] ^= 1 << (p & 7);
        bits.push(p);
      }
      return { bytes: b, kind: `flip bits ${bits.join(',')}` };
    }
    case 1: {
      const v = Math.floor(r() * 256);
      return { bytes: Buffer.concat([b.subarray(0, at), Buffer.from([v]), b.subarray(at)]), kind: `insert 0x${v.toString(16)} at ${at}` };
    }
    case 2:
      return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]), kind: `delete byte ${at}` };
    case 3: {
      const v = Math.floor(r() * 256);
      b[at] = v;
      return { bytes: b, kind: `set byte ${at} = 0x${v.toString(16)}` };
    }
    case 4: {
      // bytes of another dump (another encoding, opcodes in the wrong place) over or into this one
      const from = Math.floor(r() * other.length);
      const n = 1 + Math.floor(r() * Math.min(64, other.length - from));
      const piece = Buffer.from(other.subarray(from, from + n));
      const replace = r() < 0.5;
      const out = Buffer.concat([b.subarray(0, at), piece, b.subarray(replace ? at + n : at)]);
      return { bytes: out, kind: `splice ${n} bytes from offset ${from} ${replace ? 'over' : 'into'} ${at}` };
    }
    default: {
      const f = HUGE[Math.floor(r() * HUGE.length)]!;
      const out = Buffer.concat([b.subarray(0, at), Buffer.from(f), b.subarray(at + f.length)]).subarray(0, Math.max(src.length, at + f.length));
      return { bytes: out, kind: `huge length ${Buffer.from(f).toString('hex')} at ${at}` };
    }
  }
}

/** The cases in order: every truncation of every file, or `count` mutations from seed `seed`. */
export function* fuzzCases(sources: Uint8Array[], mode: FuzzMode, seed: number, count: number): Generator<FuzzCase> {
  if (mode === 'truncate') {
    for (let f = 0; f < sources.length; f++) {
      for (let n = 0; n < sources[f]!.length; n++) {
        yield { file: f, kind: `truncated to ${n} bytes`, bytes: sources[f]!.subarray(0, n), checksum: true };
      }
    }
    return;
  }
  const r = rng(seed);
  for (let i = 0; i < count; i++) {
    const f = i % sources.length;
    const other = sources[Math.floor(r() * sources.length)]!;
    const m = mutate(sources[f]!, other, r);
    yield { file: f, kind: `mutation #${i} (seed ${seed}): ${m.kind}`, bytes: m.bytes, checksum: i % 2 === 0 };
  }
}

export interface FuzzOptions {
  mode: FuzzMode;
  seed: number;
  /** Mutations (ignored for truncations). */
  count: number;
  /** A case that takes longer fails (ms). */
  caseLimitMs: number;
  /** A case still running after this long is a hang: the worker is stopped (ms). */
  hangMs: number;
  /** The worker's heap limit: a case that needs more is reported as exhausting it (MB). */
  heapMb: number;
  /** The process's resident memory limit, checked ten times a second: over it, the case is reported (MB). */
  rssMb: number;
}

export interface FuzzOutcome {
  done: number;
  decoded: number;
  /** Cases that ended in a clean RdbError. */
  refused: number;
  failures: FuzzFailure[];
  failureCount: number;
  /** The slowest case (ms) and its name. */
  slowestMs: number;
  slowest: string;
  /** The worker's highest heap in use after a case (MB). */
  peakHeapMb: number;
}

interface WorkerInput extends FuzzOptions { paths: string[]; progress: SharedArrayBuffer; fuzz: true }

/** Worker side: runs the cases, publishing the current case index for the watchdog. */
function workerMain(): void {
  const o = workerData as WorkerInput;
  const cur = new Int32Array(o.progress);
  const sources = o.paths.map((p) => new Uint8Array(readFileSync(p)));
  const failures: FuzzFailure[] = [];
  let failureCount = 0;
  let i = 0;
  let decoded = 0;
  let refused = 0;
  let slowestMs = 0;
  let slowest = '';
  let peakHeap = 0;
  for (const c of fuzzCases(sources, o.mode, o.seed, o.count)) {
    Atomics.store(cur, 0, ++i);
    const what = (): string => `${o.paths[c.file]!.split('/').slice(-2).join('/')} ${c.kind}`;
    const t0 = performance.now();
    let problem: string | null = null;
    try {
      const { handler, result } = collector();
      parseChunks([c.bytes], handler, { values: true, checksum: c.checksum, name: 'fuzz.rdb' });
      decoded++;
      if (result.problems.length > 0) problem = `callback order: ${result.problems[0]}`;
    } catch (e) {
      problem = rdbErrorProblem(e, c.bytes.length, 'fuzz.rdb');
      if (problem === null) refused++;
    }
    const ms = performance.now() - t0;
    if (problem === null && ms > o.caseLimitMs) problem = `took ${ms.toFixed(0)} ms`;
    if (problem !== null && ++failureCount <= 50) failures.push({ what: what(), problem });
    if (ms > slowestMs) {
      slowestMs = ms;
      slowest = what();
    }
    if ((i & 1023) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  parentPort!.postMessage({ done: i, decoded, refused, failures, failureCount, slowestMs, slowest, peakHeapMb: peakHeap / 2 ** 20 } satisfies FuzzOutcome);
}

/** Runs the cases in a worker under a watchdog; rejects naming the case that hung or ran out of memory. */
export function runFuzz(opts: FuzzOptions): Promise<FuzzOutcome> {
  const paths = FUZZ_FILES.map(corpusFile);
  const progress = new SharedArrayBuffer(4);
  const cur = new Int32Array(progress);
  const nameOf = (n: number): string => {
    const c = [...fuzzCases(paths.map((p) => new Uint8Array(readFileSync(p))), opts.mode, opts.seed, opts.count)][n - 1];
    return c ? `${FUZZ_FILES[c.file]} ${c.kind}` : '?';
  };
  // The worker runs this same file; it registers the TypeScript loader itself (--import does not reach workers).
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
    .then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const input: WorkerInput = { ...opts, paths, progress, fuzz: true };
  const worker = new Worker(boot, { eval: true, workerData: input, resourceLimits: { maxOldGenerationSizeMb: opts.heapMb } });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = Date.now();
    const timer = setInterval(() => {
      const now = Atomics.load(cur, 0);
      const rss = process.memoryUsage.rss() / 2 ** 20;
      if (rss > opts.rssMb) {
        clearInterval(timer);
        void worker.terminate();
        reject(new Error(`memory: case ${now} (${nameOf(now)}) took the process to ${rss.toFixed(0)} MB resident`));
        return;
      }
      if (now !== last) {
        last = now;
        since = Date.now();
        return;
      }
      if (Date.now() - since > opts.hangMs) {
        clearInterval(timer);
        void worker.terminate();
        reject(new Error(`hang: case ${now} (${nameOf(now)}) ran over ${opts.hangMs} ms`));
      }
    }, 100);
    worker.once('message', (m: FuzzOutcome) => {
      clearInterval(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', (e) => {
      clearInterval(timer);
      const now = Atomics.load(cur, 0);
      reject(new Error(`case ${now} (${nameOf(now)}): ${(e as Error).message}`));
    });
  });
}

if (!isMainThread && (workerData as { fuzz?: boolean } | null)?.fuzz) workerMain();
