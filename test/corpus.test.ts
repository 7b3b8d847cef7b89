/**
 * Every RDB of the shared corpus: files that a real server or tool wrote decode to EOF with the manifest's key
 * count, databases, types and checksum status; intentionally corrupt or hand-made files are refused with one clean
 * RdbError line, or decoded where a real server loads them (MANIFEST `redis_check_rdb_7.0` = pass, ORACLES.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CORPUS_DIR, corpusPresent, corpusSkip, isWellFormed, manifest, type ManifestRow } from './helpers/corpus.js';
import { decodeFile, rdbErrorProblem, type Decoded } from './helpers/collect.js';

/** Files that must be refused, and what the one-line error must say. */
const REFUSE: Record<string, RegExp> = {
  'redis-librdb/future_v19.rdb': /version|99/i,
  'redis-librdb/invalid_chksum_v8.rdb': /checksum|crc/i,
  // RDB type 6 (4.0 RC module format) cannot be skipped without the module's own loader.
  'leonchen83-redis-replicator/module.rdb': /module|type 6|0x06/i,
  // The zset record starting at offset 48 has a key whose length byte 0xff (encoding 63) is invalid.
  'codeaholics-node-rdb-tools/error_reporting.rdb': /: offset 4[89]: /,
};

/** Corrupt by construction, yet a real server loads them (the 9 empty keys are skipped, corrupt-dump.tcl). */
const MUST_DECODE = new Set([
  'redis-redis/corrupt_empty_keys.rdb', 'redis-redis/corrupt_empty_keys@09c63c4.rdb',
  'redis-redis/corrupt_empty_keys@2f54107.rdb',
  // RDB 13 stream type 26 with IDMP data (librdb cc8dd3b); the manifest's structure walk stopped at type 26.
  'redis-librdb/stream_v13_idmp@cc8dd3b.rdb',
]);

/** Redis Enterprise opcodes: librdb skips them; refusing them cleanly is acceptable too. */
const EITHER = new Set(['redis-librdb/redis_ent_opcode_ram_lru.rdb']);

const RDB_TYPES: Record<string, number[]> = {
  string: [0], list: [1], set: [2], zset: [3], hash: [4], zset_2: [5], module_pre_ga: [6], module_2: [7],
  hash_zipmap: [9], list_ziplist: [10], set_intset: [11], zset_ziplist: [12], hash_ziplist: [13],
  list_quicklist: [14], stream_listpacks: [15], hash_listpack: [16], zset_listpack: [17], list_quicklist_2: [18],
  stream_listpacks_2: [19], set_listpack: [20], stream_listpacks_3: [21], hash_metadata_pre_ga: [22],
  hash_listpack_ex_pre_ga: [23], hash_metadata: [24], hash_listpack_ex: [25], valkey_hash_2: [22],
};

const CHECKSUM: Record<string, string> = { ok: 'ok', 'zero(disabled)': 'disabled', 'n/a(<v5)': 'absent' };

function expectation(row: ManifestRow): 'decode' | 'refuse' | 'either' {
  if (row.relpath in REFUSE) return 'refuse';
  if (EITHER.has(row.relpath)) return 'either';
  if (MUST_DECODE.has(row.relpath) || isWellFormed(row) || row.checkRdb70 === 'pass') return 'decode';
  return 'either';
}

function storedChecksum(path: string): string {
  const b = readFileSync(path);
  return b.readBigUInt64LE(b.length - 8).toString(16).padStart(16, '0');
}

function checkDecoded(row: ManifestRow, d: Decoded): void {
  const { result, summary } = d;
  const skippedEmpty = row.relpath.includes('corrupt_empty_keys');
  assert.deepEqual(result.problems, [], 'callbacks out of order');
  assert.equal(summary.magic, row.magic);
  assert.equal(summary.version, row.version);
  assert.equal(result.magic, row.magic, 'header callback');
  assert.equal(summary.keys, result.keys.length, 'summary.keys vs endKey calls');
  if (skippedEmpty) {
    assert.ok(summary.keys === 0 || summary.keys === row.keys, `empty keys: ${summary.keys} reported`);
    for (const k of result.keys) assert.equal(k.record.length, 0, 'an empty key reported with elements');
  } else if (row.structureWalk.startsWith('STOP')) {
    // The manifest's walk stopped early, so its key count is partial: use the file's own RESIZEDB hints.
    const hinted = result.resizeDb.reduce((n, [, keys]) => n + keys, 0);
    assert.ok(result.resizeDb.length > 0, 'no RESIZEDB hint to check the key count against');
    assert.equal(summary.keys, hinted, 'key count vs RESIZEDB');
  } else {
    assert.equal(summary.keys, row.keys, 'key count');
  }
  const trailing = /trailing_bytes=(\d+)/.exec(row.structureWalk);
  if (row.structureWalk.startsWith('EOF_ok')) {
    assert.equal(summary.bytes, row.bytes - (trailing ? Number(trailing[1]) : 0), 'bytes read up to the checksum');
  }
  const want = CHECKSUM[row.crc64];
  if (want !== undefined) assert.equal(summary.checksum, want, 'checksum status');
  if (row.crc64 === 'ok') assert.equal(summary.storedChecksum, storedChecksum(row.path));
  if (row.crc64 === 'n/a(<v5)') assert.equal(summary.storedChecksum, null);
  if (row.dbs !== '') {
    const dbs = new Set(row.dbs.split(',').map(Number));
    for (const k of result.keys) assert.ok(dbs.has(k.record.db), `key in db ${k.record.db}, manifest says ${row.dbs}`);
  }
  if (row.types !== '' && !skippedEmpty) {
    const want = new Set(row.types.split(',').flatMap((t) => RDB_TYPES[t] ?? [-1]));
    const got = new Set(result.keys.map((k) => k.record.rdbType));
    assert.deepEqual([...got].sort((a, b) => a - b), [...want].sort((a, b) => a - b), 'RDB types found');
  }
  let prevEnd = -1;
  for (const k of result.keys) {
    const r = k.record;
    assert.ok(r.offset > prevEnd, `key offsets not increasing at ${r.offset}`);
    assert.ok(r.rdbBytes > 0 && r.offset + r.rdbBytes <= summary.bytes, `key at ${r.offset}: rdbBytes ${r.rdbBytes}`);
    prevEnd = r.offset + r.rdbBytes - 1;
    if (r.type === 'string') assert.equal(k.str?.length, r.length, 'string length vs STRLEN');
    if (r.type === 'list') assert.equal(k.list.length, r.length, 'list items vs length');
    if (r.type === 'set') assert.equal(k.set.length, r.length, 'set members vs length');
    if (r.type === 'zset') assert.equal(k.zset.length, r.length, 'zset members vs length');
    if (r.type === 'hash') assert.equal(k.hash.length, r.length, 'hash fields vs length');
    if (r.type === 'stream') assert.equal(k.stream?.meta?.length, r.length, 'stream length vs meta');
    if (r.type === 'module') assert.ok(r.moduleName !== null && r.moduleName.length === 9, 'module name');
  }
}

test('corpus manifest lists every file', corpusSkip(), () => {
  const rows = manifest();
  assert.ok(rows.length >= 100, `only ${rows.length} rows`);
  for (const r of rows) assert.equal(readFileSync(r.path).length, r.bytes, r.relpath);
});

for (const row of corpusPresent() ? manifest() : []) {
  const exp = expectation(row);
  test(`corpus ${row.relpath} (${exp})`, () => {
    let decoded: Decoded | null = null;
    let error: unknown = null;
    try {
      decoded = decodeFile(row.path);
    } catch (e) {
      error = e;
    }
    if (decoded !== null) {
      assert.notEqual(exp, 'refuse', `decoded ${decoded.summary.keys} keys, but must be refused (${REFUSE[row.relpath]})`);
      checkDecoded(row, decoded);
      // Without values (the inventory's mode) the records and the summary are the same.
      const lean = decodeFile(row.path, { values: false });
      assert.deepStrictEqual(lean.summary, decoded.summary, 'summary with values: false');
      assert.deepStrictEqual(lean.result.keys.map((k) => k.record), decoded.result.keys.map((k) => k.record),
        'key records with values: false');
      return;
    }
    const problem = rdbErrorProblem(error, row.bytes, basename(row.path));
    assert.equal(problem, null, problem ?? '');
    const msg = (error as Error).message;
    assert.notEqual(exp, 'decode', `refused a file that must decode: ${msg}`);
    const re = REFUSE[row.relpath];
    if (re) assert.match(msg, re);
  });
}

test('corpus: a gzip-compressed dump decodes as the plain file does', corpusSkip(), () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-gz-'));
  try {
    for (const rel of ['HDT3213-rdb/memory.rdb', 'redis-librdb/stream_v13_idmp@cc8dd3b.rdb']) {
      const src = join(CORPUS_DIR, rel);
      const gz = join(dir, `${basename(rel)}.gz`);
      writeFileSync(gz, gzipSync(readFileSync(src)));
      const a = decodeFile(src);
      const b = decodeFile(gz);
      assert.deepStrictEqual(b.result, a.result, rel);
      assert.equal(b.summary.keys, a.summary.keys);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corpus: checksum verification can be turned off', corpusSkip(), () => {
  const row = manifest().find((r) => r.relpath === 'redis-librdb/invalid_chksum_v8.rdb');
  assert.ok(row, 'invalid_chksum_v8.rdb is in the manifest');
  const d = decodeFile(row.path, { checksum: false });
  assert.equal(d.summary.keys, row.keys);
  assert.equal(d.summary.checksum, 'skipped');
});
