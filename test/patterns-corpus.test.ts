import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFile } from '../src/decode/index.js';
import { PatternInferrer, MAX_FAMILY, MAX_SCAN } from '../src/patterns/index.js';
import { corpusSkip, manifest } from './helpers/corpus.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the first MAX_SCAN bytes of a key read as text (valid UTF-8 without control characters). */
function isText(key: Uint8Array): boolean {
  const head = key.subarray(0, MAX_SCAN);
  if (head.some((b) => b < 0x20 || b === 0x7f)) return false;
  for (let cut = head.length; cut >= head.length - 3 && cut >= 0; cut--) {
    try {
      utf8.decode(head.subarray(0, cut)); // the scan limit may cut a character: allow it
      return true;
    } catch {
      // try a shorter cut
    }
  }
  return false;
}

test('real dumps: every key gets a bounded family, {binary} exactly for non-text keys, stable renames', corpusSkip(), () => {
  let checked = 0;
  for (const row of manifest()) {
    if (row.keys === 0 || !row.structureWalk.startsWith('EOF_ok')) continue;
    const keys: Uint8Array[] = [];
    try {
      parseFile(row.path, { beginKey: (h) => void keys.push(h.key) }, { checksum: false });
    } catch {
      continue; // decoding is tested elsewhere; this test is about the keys that decode
    }
    const p = new PatternInferrer();
    const families = keys.map((k) => p.infer(k));
    const again = new PatternInferrer();
    keys.forEach((k, i) => assert.equal(again.infer(k), families[i], `${row.relpath}: deterministic`));
    const renames = new Map(p.foldings());
    keys.forEach((k, i) => {
      const f = renames.get(families[i]) ?? families[i];
      const shown = `${row.relpath}: ${JSON.stringify(Buffer.from(k).toString('latin1').slice(0, 80))} -> ${f}`;
      assert.ok(f.length > 0 && f.length <= MAX_FAMILY + '{trunc}'.length, shown);
      assert.equal(f.includes('{binary}'), !isText(k), shown);
      assert.ok(!renames.has(f) || renames.get(f) === f, `${shown}: renames are final`);
    });
    checked += keys.length;
  }
  assert.ok(checked > 1000, `only ${checked} keys decoded from the corpus`);
});
