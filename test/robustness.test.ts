/**
 * Hostile input (helpers/fuzz.ts): every truncation point of small corpus files and 100,000 seeded random
 * mutations must each end in a clean RdbError or a valid decode within 2 s; never another exception, a hang, or
 * memory beyond the bounds.
 * Also: files fed through parseChunks split at every offset decode exactly as the whole file does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusFile, corpusPresent } from './helpers/corpus.js';
import { decodeChunks, decodeFile } from './helpers/collect.js';
import { runFuzz } from './helpers/fuzz.js';

/** In npm test: 100,000 mutations (about 40 s); scripts/fuzz.ts runs a million and more before a release. */
const MUTATIONS = Number(process.env.RDBSCOPE_FUZZ_MUTATIONS ?? 100_000);
const SEED = Number(process.env.RDBSCOPE_FUZZ_SEED ?? 0x5eed);
const BOUNDS = { caseLimitMs: 2000, hangMs: 5000, heapMb: 512, rssMb: 1500 };

const skip = corpusPresent() ? undefined : 'corpus absent';

test('robustness: every truncation point of small corpus files', { skip, timeout: 120_000 }, async () => {
  const out = await runFuzz({ mode: 'truncate', seed: SEED, count: 0, ...BOUNDS });
  assert.ok(out.done > 2000, `only ${out.done} cases`);
  assert.deepEqual(out.failures.slice(0, 10), [], `${out.failureCount} of ${out.done} truncations failed`);
});

test(`robustness: ${MUTATIONS} seeded random mutations (flips, inserts, deletes, overwrites, huge lengths, splices)`, { skip, timeout: 240_000 }, async () => {
  const out = await runFuzz({ mode: 'mutate', seed: SEED, count: MUTATIONS, ...BOUNDS });
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
