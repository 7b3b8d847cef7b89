/**
 * `dump --values` in constant memory for strings of any size: big strings reach the output in pieces (LZF
 * decompressed as they are read, a JSON string or base64 written as they come, a CSV cell from a spool), and a key
 * filtered out by --match is skipped without its bytes being held. Peak memory is read from the child's VmHWM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { parseChunks } from '../src/decode/index.js';
import { encLen, RdbWriter } from './helpers/rdbWriter.js';
import { haveRedisServer, startRedis } from './helpers/redis.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = [join(ROOT, 'dist/cli.js')];
const dir = mkdtempSync(join(tmpdir(), 'rdbscope-big-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** LZF data of `n` copies of `byte`: one literal, then back-references of distance 1 (264 bytes per 3). */
function lzfRepeat(byte: number, n: number): Buffer {
  const out: number[] = [0, byte];
  let left = n - 1;
  while (left >= 264) {
    out.push(0xe0, 255, 0);
    left -= 264;
  }
  if (left >= 9) out.push(0xe0, left - 9, 0);
  else if (left >= 3) out.push((left - 2) << 5, 0);
  else for (; left > 0; left--) out.push(0, byte);
  return Buffer.from(out);
}

function lzfString(byte: number, n: number): Buffer {
  const data = lzfRepeat(byte, n);
  return Buffer.concat([Buffer.from([0xc3]), encLen(data.length), encLen(n), data]);
}

const N = 40 * 1024 * 1024;

function bigDump(): string {
  const w = new RdbWriter('REDIS', 9);
  w.aux('redis-ver', '7.0.15').selectDb(0);
  w.key(0, 'small').str('v');
  w.key(0, 'big:text').raw(lzfString(0x61, N));
  w.key(0, 'big:bin').raw(lzfString(0xff, N));
  const file = join(dir, 'big.rdb');
  writeFileSync(file, w.end());
  return file;
}

interface Run { status: number | null; stdout: Buffer; stderr: string; peakMb: number }

/** Runs the CLI, keeping stdout, and the child's peak resident memory (VmHWM) as it was last seen. */
function run(args: string[], keep = true): Promise<Run> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT });
    const out: Buffer[] = [];
    let bytes = 0;
    let err = '';
    let peak = 0;
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      if (keep) out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // exited
      }
    }, 10);
    child.on('close', (status) => {
      clearInterval(poll);
      res({ status, stdout: keep ? Buffer.concat(out) : Buffer.from(String(bytes)), stderr: err, peakMb: peak });
    });
  });
}

test('the parser hands a big string out in pieces: LZF decompressed as it is read, errors still one line', () => {
  const pieces: number[] = [];
  let total = 0;
  let ok = true;
  let value: unknown = 'unset';
  const w = new RdbWriter('REDIS', 9);
  w.selectDb(0).key(0, 'k').raw(lzfString(0x61, 1_000_003));
  parseChunks([w.end()], {
    stringChunk: (p) => {
      pieces.push(p.length);
      total += p.length;
      ok &&= p.every((b) => b === 0x61);
    },
    stringValue: (_len, v) => (value = v),
  }, { values: true, streamStringBytes: 1000 });
  assert.equal(total, 1_000_003);
  assert.ok(ok, 'every byte decompressed right');
  assert.ok(pieces.length > 10 && Math.max(...pieces) <= 8192 + 64 * 1024 + 264, `pieces: ${pieces.length}, largest ${Math.max(...pieces)}`);
  assert.equal(value, null, 'stringValue gets null after the pieces');

  // a back-reference to before the start of the value
  const data = Buffer.from([0x20, 0x05, ...new Array<number>(40).fill(0)]);
  const bad = Buffer.concat([Buffer.from([0xc3]), encLen(data.length), encLen(5000), data]);
  const w2 = new RdbWriter('REDIS', 9);
  w2.selectDb(0).key(0, 'k').raw(bad);
  assert.throws(() => parseChunks([w2.end()], { stringChunk: () => {}, stringValue: () => {} }, { values: true, streamStringBytes: 1000, name: 'bad.rdb' }),
    (e: Error) => /^bad\.rdb: offset \d+: expected string value: valid LZF data of 5000 bytes \(LZF back-reference to before the start of the value\) \(in the key record starting at offset \d+\)$/.test(e.message) || assert.fail(e.message));
});

test('dump --values: 40 MiB strings (text and binary) as JSON lines and CSV in bounded memory; a filtered-out one is not held', { skip: process.platform !== 'linux' ? 'reads /proc' : undefined, timeout: 120_000 }, async () => {
  const file = bigDump();
  const j = await run(['dump', file, '--values', '--format', 'jsonl']);
  assert.equal(j.status, 0, j.stderr);
  const lines = j.stdout.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l.key), ['small', 'big:text', 'big:bin']);
  assert.equal(lines[0]!.value, 'v');
  const text = lines[1]!.value as string;
  assert.equal(text.length, N);
  assert.ok(/^a+$/.test(text));
  assert.equal(lines[2]!.value, null);
  const bin = Buffer.from(lines[2]!.value_base64 as string, 'base64');
  assert.equal(bin.length, N);
  assert.ok(bin.every((b) => b === 0xff));
  assert.ok(j.peakMb < 170, `jsonl peak ${j.peakMb.toFixed(0)} MB`);

  const c = await run(['dump', file, '--values', '--format', 'csv']);
  assert.equal(c.status, 0, c.stderr);
  const rows = c.stdout.toString('utf8').trimEnd().split('\n');
  assert.equal(rows.length, 4);
  assert.ok(rows[2]!.startsWith('0,big:text,,string,raw,') && rows[2]!.endsWith('a"""'), rows[2]!.slice(0, 80));
  const cell = rows[2]!.slice(rows[2]!.indexOf(',"') + 1);
  assert.equal(JSON.parse(cell.slice(1, -1).replace(/""/g, '"')), text);
  const binCell = rows[3]!.slice(rows[3]!.indexOf(',"') + 1).slice(1, -1).replace(/""/g, '"');
  const o = JSON.parse(binCell) as { value: null; value_base64: string };
  assert.equal(o.value, null);
  assert.ok(Buffer.from(o.value_base64, 'base64').equals(bin));
  assert.ok(c.peakMb < 170, `csv peak ${c.peakMb.toFixed(0)} MB`);

  const m = await run(['dump', file, '--values', '--match', 'small', '--format', 'jsonl']);
  assert.equal(m.status, 0, m.stderr);
  assert.equal(m.stdout.toString().trim().split('\n').length, 1);
  assert.ok(m.peakMb < 130, `--match peak ${m.peakMb.toFixed(0)} MB`);
});

test('dump --values on a real server\'s 30 MB sparse string (SETRANGE): decodes, in bounded memory', { skip: haveRedisServer() ? undefined : 'no redis-server', timeout: 120_000 }, async () => {
  const r = await startRedis();
  let file = '';
  try {
    r.cli('SETRANGE', 'big', String(30 * 1024 * 1024 - 1), 'x');
    file = join(dir, 'sparse.rdb');
    writeFileSync(file, readFileSync(r.save()));
  } finally {
    await r.stop();
  }
  const j = await run(['dump', file, '--values', '--format', 'jsonl']);
  assert.equal(j.status, 0, j.stderr);
  const line = JSON.parse(j.stdout.toString('utf8')) as { key: string; value: string; length: number };
  assert.equal(line.key, 'big');
  assert.equal(line.length, 30 * 1024 * 1024);
  assert.equal(line.value.length, 30 * 1024 * 1024);
  assert.ok(line.value.endsWith('\u0000x') && line.value.startsWith('\u0000\u0000'));
  assert.ok(j.peakMb < 170, `peak ${j.peakMb.toFixed(0)} MB`);
});
