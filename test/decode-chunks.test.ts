/**
 * Values handed to callbacks are views into the decoder's read window. Feeding a dump one byte at a time makes
 * the window refill at every byte, so any view kept across too many refills would show other bytes: every
 * well-formed corpus file under 64 KiB must decode, with values, exactly as from one buffer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { decodeChunks } from './helpers/collect.ts';
import { corpusFile, corpusPresent, corpusSkip, isWellFormed, manifest } from './helpers/corpus.ts';

function snapshot(bytes: Uint8Array, chunk: number): string {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const { result } = decodeChunks(chunks);
  return JSON.stringify(result.keys, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
  );
}

const rows = corpusPresent()
  ? manifest().filter((r) => isWellFormed(r) && statSync(corpusFile(r.relpath)).size < 65536)
  : [];

test('values are identical whether a dump arrives whole, in 1-byte or in 7-byte pieces', corpusSkip(), () => {
  assert.ok(rows.length >= 50, `enough small corpus files (${rows.length})`);
  for (const row of rows) {
    const bytes = readFileSync(corpusFile(row.relpath));
    let whole: string;
    try {
      whole = snapshot(bytes, bytes.length);
    } catch {
      continue; // refused files are covered by corpus.test.ts; here only files that decode matter
    }
    assert.equal(snapshot(bytes, 1), whole, `${row.relpath} in 1-byte pieces`);
    assert.equal(snapshot(bytes, 7), whole, `${row.relpath} in 7-byte pieces`);
  }
});
