/**
 * Hostile input: every truncation point of small corpus files and 10,000 seeded random mutations (bit flips,
 * byte insertions and deletions, overwrites, lying huge lengths) must each end in a clean RdbError or a valid
 * decode within 2 s; never another exception, never a hang. The cases run in a worker thread that a watchdog
 * terminates if one case takes too long (a synchronous hang cannot be interrupted otherwise).
 * Also: files fed through parseChunks split at every offset decode exactly as the whole file does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { corpusFile, corpusPresent } from './helpers/corpus.js';
import { collector, decodeChunks, decodeFile, rdbErrorProblem } from './helpers/collect.js';
import { parseChunks } from '../src/decode/index.js';

const CASE_LIMIT_MS = 2000;
const HANG_MS = 5000;
const MUTATIONS = 10000;

/** Small files covering most encodings and opcodes. */
const FILES = [
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

interface Case { file: number; kind: string; bytes: Uint8Array; checksum: boolean }
interface Failure { what: string; problem: string }

/** xorshift32: the same seed gives the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

function mutate(src: Uint8Array, r: () => number): { bytes: Uint8Array; kind: string } {
  const at = Math.floor(r() * src.length);
  const b = Buffer.from(src);
  switch (Math.floor(r() * 5)) {
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
    default: {
      const forms = [[0x80, 0xff, 0xff, 0xff, 0xff], [0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0xbf, 0xff], [0x80, 0x40, 0, 0, 0], [0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]];
      const f = forms[Math.floor(r() * forms.length)]!;
      const out = Buffer.concat([b.subarray(0, at), Buffer.from(f), b.subarray(at + f.length)]).subarray(0, Math.max(src.length, at + f.length));
      return { bytes: out, kind: `huge length ${Buffer.from(f).toString('hex')} at ${at}` };
    }
  }
}

function* cases(sources: Uint8Array[], mode: 'truncate' | 'mutate', seed: number): Generator<Case> {
  if (mode === 'truncate') {
    for (let f = 0; f < sources.length; f++) {
      for (let n = 0; n < sources[f]!.length; n++) {
        yield { file: f, kind: `truncated to ${n} bytes`, bytes: sources[f]!.subarray(0, n), checksum: true };
      }
    }
    return;
  }
  const r = rng(seed);
  for (let i = 0; i < MUTATIONS; i++) {
    const f = i % sources.length;
    const m = mutate(sources[f]!, r);
    yield { file: f, kind: `mutation #${i}: ${m.kind}`, bytes: m.bytes, checksum: i % 2 === 0 };
  }
}

/** Worker side: runs the cases, publishing the current case index for the watchdog. */
function workerMain(): void {
  const { paths, mode, seed, progress } = workerData as { paths: string[]; mode: 'truncate' | 'mutate'; seed: number; progress: SharedArrayBuffer };
  const cur = new Int32Array(progress);
  const sources = paths.map((p) => new Uint8Array(readFileSync(p)));
  const failures: Failure[] = [];
  let i = 0;
  let decoded = 0;
  for (const c of cases(sources, mode, seed)) {
    Atomics.store(cur, 0, ++i);
    const what = `${paths[c.file]!.split('/').slice(-2).join('/')} ${c.kind}`;
    const t0 = performance.now();
    try {
      const { handler, result } = collector();
      parseChunks([c.bytes], handler, { values: true, checksum: c.checksum, name: 'fuzz.rdb' });
      decoded++;
      if (result.problems.length > 0) failures.push({ what, problem: `callback order: ${result.problems[0]}` });
    } catch (e) {
      const p = rdbErrorProblem(e, c.bytes.length, 'fuzz.rdb');
      if (p !== null) failures.push({ what, problem: p });
    }
    const ms = performance.now() - t0;
    if (ms > CASE_LIMIT_MS) failures.push({ what, problem: `took ${ms.toFixed(0)} ms` });
  }
  parentPort!.postMessage({ done: i, decoded, failures: failures.slice(0, 50), failureCount: failures.length });
}

interface Outcome { done: number; decoded: number; failures: Failure[]; failureCount: number }

/** Main side: runs the worker under a watchdog that kills it when one case exceeds HANG_MS. */
function runCases(mode: 'truncate' | 'mutate', seed = Number(process.env.RDBSCOPE_FUZZ_SEED ?? 0x5eed)): Promise<Outcome> {
  const paths = FILES.map(corpusFile);
  const progress = new SharedArrayBuffer(4);
  const cur = new Int32Array(progress);
  // The worker runs this same file; it registers the TypeScript loader itself (--import does not reach workers).
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
    .then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { robustness: true, paths, mode, seed, progress } });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = Date.now();
    const timer = setInterval(() => {
      const now = Atomics.load(cur, 0);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since > HANG_MS) {
        clearInterval(timer);
        void worker.terminate();
        const c = [...cases(paths.map((p) => new Uint8Array(readFileSync(p))), mode, seed)][now - 1];
        reject(new Error(`hang: case ${now} (${c ? `${FILES[c.file]} ${c.kind}` : '?'}) ran over ${HANG_MS} ms`));
      }
    }, 100);
    worker.once('message', (m: Outcome) => { clearInterval(timer); void worker.terminate(); resolve(m); });
    worker.once('error', (e) => { clearInterval(timer); reject(e); });
  });
}

const skip = corpusPresent() ? undefined : 'corpus absent';

if (!isMainThread && (workerData as { robustness?: boolean } | null)?.robustness) {
  workerMain();
} else {
  test('robustness: every truncation point of small corpus files', { skip, timeout: 120_000 }, async () => {
    const out = await runCases('truncate');
    assert.ok(out.done > 2000, `only ${out.done} cases`);
    assert.deepEqual(out.failures.slice(0, 10), [], `${out.failureCount} of ${out.done} truncations failed`);
  });

  test(`robustness: ${MUTATIONS} seeded random mutations`, { skip, timeout: 120_000 }, async () => {
    const out = await runCases('mutate');
    assert.equal(out.done, MUTATIONS);
    assert.deepEqual(out.failures.slice(0, 10), [], `${out.failureCount} of ${out.done} mutations failed`);
  });

  for (const rel of ['redis-librdb/stream_v13_idmp@cc8dd3b.rdb', 'HDT3213-rdb/listpack.rdb',
    'sripathikrishnan-redis-rdb-tools/zipmap_that_compresses_easily.rdb', 'redis-librdb/string_lzf.rdb',
    'HDT3213-rdb/hash_with_hfe.rdb']) {
    test(`split chunks: ${rel} at every offset`, { skip }, () => {
      const bytes = new Uint8Array(readFileSync(corpusFile(rel)));
      const whole = decodeFile(corpusFile(rel));
      assert.ok(whole.summary.keys > 0 || whole.result.functions.length > 0);
      for (let i = 0; i <= bytes.length; i++) {
        const got = decodeChunks([bytes.subarray(0, i), bytes.subarray(i)], rel);
        assert.deepStrictEqual(got.result, whole.result, `split at ${i}`);
        assert.deepStrictEqual(got.summary, whole.summary, `split at ${i}`);
      }
      const ones = decodeChunks((function* () { for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1); })(), rel);
      assert.deepStrictEqual(ones.result, whole.result, 'one-byte chunks');
      const three = decodeChunks([bytes.subarray(0, 7), new Uint8Array(0), bytes.subarray(7, 8), bytes.subarray(8)], rel);
      assert.deepStrictEqual(three.result, whole.result, 'chunks with an empty one');
    });
  }
}
