/**
 * Synthetic dumps for the scale benchmarks (scripts/scale.ts, scripts/parquet-scale.ts): a Redis 7.0 layout of
 * RDB 10 with a CRC64 trailer, a mix of families like a web app's (hashes, strings with and without TTL,
 * counters, sets, sorted sets, lists), streamed to a file without a server.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { Crc64 } from '../../src/decode/crc64.js';
import { listpack } from '../../test/helpers/rdbWriter.js';
import { rng } from '../../test/helpers/random.js';

/** A buffered file writer that keeps the CRC64 of everything written. */
class Out {
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  private readonly crc = new Crc64();
  private readonly fd: number;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.alloc(n);
  }

  private flush(): void {
    this.crc.update(this.buf, 0, this.pos);
    writeSync(this.fd, this.buf, 0, this.pos);
    this.bytes += this.pos;
    this.pos = 0;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** RDB length: 6-bit, 14-bit or 32-bit big-endian. */
  len(n: number): void {
    this.room(5);
    if (n < 64) this.buf[this.pos++] = n;
    else if (n < 16384) {
      this.buf[this.pos++] = 0x40 | (n >> 8);
      this.buf[this.pos++] = n & 0xff;
    } else {
      this.buf[this.pos++] = 0x80;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
  }

  str(s: string | Uint8Array): void {
    const b = typeof s === 'string' ? Buffer.from(s) : s;
    this.len(b.length);
    this.raw(b);
  }

  /** An integer-encoded string (int8/16/32). */
  intStr(v: number): void {
    this.room(5);
    if (v >= -128 && v <= 127) {
      this.buf[this.pos++] = 0xc0;
      this.buf.writeInt8(v, this.pos++);
    } else if (v >= -32768 && v <= 32767) {
      this.buf[this.pos++] = 0xc1;
      this.buf.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xc2;
      this.buf.writeInt32LE(v, this.pos);
      this.pos += 4;
    }
  }

  expireMs(ms: number): void {
    this.byte(0xfc);
    this.room(8);
    this.buf.writeBigInt64LE(BigInt(ms), this.pos);
    this.pos += 8;
  }

  /** EOF and the CRC64 trailer (little-endian), then closes the file. */
  end(): void {
    this.byte(0xff);
    this.flush();
    const [hi, lo] = this.crc.words();
    const t = Buffer.alloc(8);
    t.writeInt32LE(lo, 0);
    t.writeInt32LE(hi, 4);
    writeSync(this.fd, t);
    this.bytes += 8;
    closeSync(this.fd);
  }
}

export const CTIME = 1_790_000_000;
const PAGE = 'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et '.repeat(3).slice(0, 300);

/** Writes a dump of `keys` keys (key ids from `first`); returns its size. Keys are unique per (first, keys). */
export function writeDump(path: string, keys: number, first: number, seed: number): number {
  const tmp = `${path}.part`;
  const o = new Out(tmp);
  o.raw(Buffer.from('REDIS0010'));
  for (const [k, v] of [['redis-ver', '7.0.15'], ['redis-bits', '64'], ['ctime', String(CTIME)], ['used-mem', String(keys * 120)], ['aof-base', '0']]) {
    o.byte(0xfa);
    o.str(k!);
    o.str(v!);
  }
  o.byte(0xfe);
  o.len(0);
  o.byte(0xfb);
  o.len(keys);
  o.len(Math.round(keys * 0.22));
  const rnd = rng(seed); // mulberry32: the same dump every time it is made
  const intset = Buffer.alloc(8 + 5 * 2);
  for (let n = 0; n < keys; n++) {
    const i = first + n;
    const r = rnd();
    if (r < 0.3) {
      o.byte(16); // hash, listpack
      o.str(`user:${i}`);
      o.str(listpack(['name', `u${i}`, 'email', `u${i}@example.com`, 'age', 20 + (i % 60), 'plan', i % 7 === 0 ? 'pro' : 'free']));
    } else if (r < 0.52) {
      o.expireMs((CTIME + 3600 + Math.floor(rnd() * 6 * 86400)) * 1000);
      o.byte(0);
      o.str(`session:${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${i.toString(36)}`);
      o.str(`{"uid":${i},"ttl":3600,"ip":"10.0.${i & 255}.${(i >> 8) & 255}"}`.slice(0, 40));
    } else if (r < 0.67) {
      o.byte(0);
      o.str(`counter:${i}`);
      o.intStr(i % 100_000);
    } else if (r < 0.77) {
      o.byte(0);
      o.str(`cache:page:${i}`);
      o.str(PAGE);
    } else if (r < 0.87) {
      o.byte(11); // set, intset of five int16
      o.str(`tags:${i}`);
      intset.writeUInt32LE(2, 0);
      intset.writeUInt32LE(5, 4);
      for (let j = 0; j < 5; j++) intset.writeInt16LE(j * 100 + (i % 97), 8 + j * 2);
      o.str(intset);
    } else if (r < 0.95) {
      o.byte(17); // zset, listpack: member, score pairs
      o.str(`rank:${i}`);
      o.str(listpack(['alice', 10 + (i % 50), 'bob', 20 + (i % 40), 'carol', 30, 'dave', 45, 'eve', 99]));
    } else {
      o.byte(18); // list, quicklist of one listpack node
      o.str(`queue:${i}`);
      o.len(1);
      o.len(2);
      o.str(listpack(['job:1', 'job:2', 'job:3', i % 1000, 'job:5', 'job:6']));
    }
  }
  o.end();
  renameSync(tmp, path);
  return o.bytes;
}

