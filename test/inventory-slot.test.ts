import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { crc16, keySlot } from '../src/inventory/slot.js';
import { haveRedisServer, startRedis } from './helpers/redis.js';

test('crc16 is CRC-16/XMODEM (check value of "123456789")', () => {
  assert.equal(crc16(Buffer.from('123456789')), 0x31c3);
});

test('hash tag rule: first { and first } after it, not empty', () => {
  const s = (k: string): number => keySlot(Buffer.from(k));
  assert.equal(s('{user1000}.following'), s('{user1000}.followers'));
  assert.equal(s('{user1000}.following'), s('user1000'));
  assert.equal(s('foo{}{bar}'), crc16(Buffer.from('foo{}{bar}')) & 0x3fff);
  assert.equal(s('foo{{bar}}zap'), s('{bar'));
  assert.equal(s('foo{bar}{zap}'), s('bar'));
});

test('slots agree with CLUSTER KEYSLOT of a real server, binary keys included', { skip: haveRedisServer() ? false : 'no redis-server' }, async () => {
  const r = await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
  const client = new Redis(r.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const keys: Buffer[] = [Buffer.from('foo'), Buffer.from(''), Buffer.from('{}'), Buffer.from('a{b}c'), Buffer.from([0xff, 0x7b, 0x00, 0x7d])];
    for (let i = 0; i < 300; i++) {
      const k = randomBytes(1 + (i % 40));
      if (i % 3 === 0) k[i % k.length] = 0x7b;
      if (i % 5 === 0) k[(i * 7) % k.length] = 0x7d;
      keys.push(k);
    }
    for (const k of keys) {
      const expected = Number(await client.call('CLUSTER', 'KEYSLOT', k));
      assert.equal(keySlot(k), expected, `key ${k.toString('hex')}`);
    }
  } finally {
    client.disconnect();
    await r.stop();
  }
});
