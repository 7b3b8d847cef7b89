/** End-to-end tests of `rdbscope dump` and `rdbscope info` through the compiled CLI (npm test builds first). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const sample = join(root, 'fixtures', 'sample.rdb');
const expectedLines = readFileSync(join(root, 'fixtures', 'sample.expected.tsv'), 'utf8').trim().split('\n').slice(1);

function run(args: string[], input?: Buffer): { code: number; out: string; err: string } {
  const r = spawnSync('node', [cli, ...args], { input, maxBuffer: 1 << 28, encoding: 'buffer' });
  return { code: r.status ?? -1, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

/** A minimal RFC 4180 parser: enough to prove our CSV is valid for any key. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows;
}

test('dump lists every key of the sample with the type, encoding and length the server reported', () => {
  const r = run(['dump', sample]);
  assert.equal(r.code, 0, r.err);
  const recs = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, expectedLines.length);
  const byKey = new Map(recs.map((x) => [`${x.db}\t${x.key}`, x]));
  for (const line of expectedLines) {
    const [db, key, type, encoding, length, expires] = line.split('\t');
    const rec = byKey.get(`${db}\t${key}`);
    assert.ok(rec, `key ${key} in db ${db}`);
    assert.equal(rec.type, type, key);
    assert.equal(rec.encoding, encoding, key);
    assert.equal(rec.length, Number(length), key);
    assert.equal(rec.expires_at_ms, expires === '' ? null : Number(expires), key);
  }
  assert.match(r.err, /5055 keys decoded.*checksum ok/);
});

test('gzip input (detected by magic, not name) and stdin give the same records as the plain file', () => {
  const plain = run(['dump', sample]).out;
  const gz = readFileSync(`${sample}.gz`);
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-'));
  const renamed = join(dir, 'noext');
  writeFileSync(renamed, gz);
  assert.equal(run(['dump', renamed]).out, plain);
  assert.equal(run(['dump', '-'], gz).out, plain);
});

test('gzip, from a file or stdin: a wrong CRC is refused, a right one and an AOF preamble\'s are checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-'));
  const bad = Buffer.from(readFileSync(sample));
  bad[bad.length - 1]! ^= 1;
  const badGz = join(dir, 'bad.rdb.gz');
  writeFileSync(badGz, gzipSync(bad));
  for (const r of [run(['info', badGz]), run(['info', '-'], readFileSync(badGz))]) {
    assert.equal(r.code, 1);
    assert.match(r.err, /expected checksum \w+ to match the computed CRC-64 \w+ \(wrong checksum\)/);
  }
  assert.match(run(['info', `${sample}.gz`]).out, /checksum ok/);
  const aofGz = join(dir, 'aof.gz');
  writeFileSync(aofGz, gzipSync(readFileSync(join(root, 'fixtures', 'aof-preamble.aof'))));
  assert.match(run(['info', aofGz]).out, /checksum ok/);
  assert.match(run(['info', '-'], readFileSync(aofGz)).out, /checksum ok/);
});

test('a truncated gzip dump, from a file or stdin, is a one-line error naming the offset, with a non-zero exit', () => {
  const gz = readFileSync(`${sample}.gz`);
  const cut = gz.subarray(0, Math.floor(gz.length / 2));
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-'));
  const path = join(dir, 'cut.rdb.gz');
  writeFileSync(path, cut);
  for (const r of [run(['info', path]), run(['info', '-'], cut)]) {
    assert.equal(r.code, 1);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, /^rdbscope: .*offset \d+: expected valid gzip data \(near compressed byte \d+: unexpected end of file\)/);
  }
});

test('CSV with values stays valid CSV and filters by db, type and glob', () => {
  const r = run(['dump', sample, '--format', 'csv', '--values', '--type', 'hash', '--match', 'user:*:profile']);
  assert.equal(r.code, 0, r.err);
  const rows = parseCsv(r.out);
  const header = rows.shift()!;
  assert.deepEqual(header.slice(0, 4), ['db', 'key', 'key_base64', 'type']);
  const want = expectedLines.filter((l) => /^\d+\tuser:[^\t]*:profile\thash\t/.test(l)).length;
  assert.ok(want > 0);
  assert.equal(rows.length, want);
  for (const row of rows) {
    assert.equal(row.length, header.length);
    assert.equal(row[3], 'hash');
    const value = JSON.parse(row[header.indexOf('value')]!);
    assert.equal(Object.keys(value).length, Number(row[header.indexOf('length')]));
  }
  const db1 = run(['dump', sample, '--db', '1']).out.trim().split('\n');
  assert.equal(db1.length, expectedLines.filter((l) => l.startsWith('1\t')).length);
});

test('a truncated dump fails with one line naming file and offset, and the output says it is incomplete', () => {
  const bytes = readFileSync(sample);
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-'));
  const cut = join(dir, 'cut.rdb');
  writeFileSync(cut, bytes.subarray(0, 200_000));
  const r = run(['dump', cut]);
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0]!, new RegExp(`^rdbscope: ${cut.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: offset \\d+: expected .*incomplete: \\d+ keys written\\)$`));
  assert.doesNotMatch(r.err, /at .*\.js:\d+/);
});

test('info reports version, aux fields, dbs and the checksum in text and JSON', () => {
  const text = run(['info', sample]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /REDIS RDB 10, \d+ bytes, checksum ok/);
  assert.match(text.out, /redis-ver\s+7\.0\.\d+/);
  const json = JSON.parse(run(['info', sample, '--format', 'json']).out);
  assert.equal(json.summary.keys, expectedLines.length);
  assert.deepEqual(
    json.dbs.map((d: { db: number; keys: number }) => [d.db, d.keys]),
    [0, 1].map((db) => [db, expectedLines.filter((l) => l.startsWith(`${db}\t`)).length]),
  );
});
