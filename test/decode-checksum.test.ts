/**
 * The checksum of large regular files is computed on a second thread while parsing; these tests make sure that
 * path reaches the same verdicts as the inline one (a real server's dump, then corrupted copies of it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFile, RdbError } from '../src/decode/index.ts';
import { haveRedisServer, resp, startRedis } from './helpers/redis.ts';

test('parallel checksum: ok, wrong byte, trailing bytes and --no-checksum on a 12 MB server-written dump', { skip: !haveRedisServer() && 'redis-server absent' }, async () => {
  const redis = await startRedis(['--rdbcompression', 'no']);
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-crc-'));
  try {
    const big = randomBytes(12 << 20);
    redis.pipe(Buffer.concat([resp('SET', 'big', big), resp('SET', 'small', 'x'), resp('HSET', 'h', 'f', 'v')]));
    const path = join(dir, 'good.rdb');
    copyFileSync(redis.save(), path);

    const good = parseFile(path, {});
    assert.equal(good.keys, 3);
    assert.equal(good.checksum, 'ok');

    const bytes = readFileSync(path);
    const at = bytes.indexOf(big.subarray(0, 64)) + (6 << 20);
    assert.ok(at > 6 << 20);
    const flipped = Buffer.from(bytes);
    flipped[at] = flipped[at]! ^ 0x01;
    const bad = join(dir, 'flipped.rdb');
    writeFileSync(bad, flipped);
    assert.throws(() => parseFile(bad, {}), (e: unknown) => e instanceof RdbError && /wrong checksum/.test(e.message) && e.offset === bytes.length - 8);
    assert.equal(parseFile(bad, {}, { checksum: false }).checksum, 'skipped');

    // Bytes after the RDB (an AOF tail): the checksum thread covered the wrong range, the inline fallback must not.
    const tailed = join(dir, 'tailed.aof');
    copyFileSync(path, tailed);
    appendFileSync(tailed, resp('SET', 'after', 'preamble'));
    const t = parseFile(tailed, {});
    assert.equal(t.checksum, 'ok');
    assert.equal(t.bytes, bytes.length);
  } finally {
    await redis.stop();
  }
});
