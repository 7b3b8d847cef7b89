/**
 * The benchmark dump's key mix: a deterministic stream of RESP commands for `redis-cli --pipe`. About 500 bytes of
 * RDB per key on average: strings of every size with and without TTL, listpack and hashtable hashes, intset and
 * hashtable sets, listpack and skiplist zsets, short and multi-node lists, a few big keys and a stream.
 */
import { rng } from '../fixtures/all-encodings-data.js';

const CRLF = Buffer.from('\r\n');

/** Builds RESP into a growing list of chunks with few allocations. */
export class RespWriter {
  chunks: Buffer[] = [];
  size = 0;
  private parts: Array<string | Buffer> = [];
  cmd(args: Array<string | Buffer>): void {
    this.parts.push(`*${args.length}\r\n`);
    for (const a of args) {
      if (typeof a === 'string') this.parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
      else this.parts.push(`$${a.length}\r\n`, a, CRLF);
    }
    if (this.parts.length > 4096) this.flushParts();
  }
  private flushParts(): void {
    const bufs = this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
    const b = Buffer.concat(bufs);
    this.chunks.push(b);
    this.size += b.length;
    this.parts = [];
  }
  take(): Buffer {
    this.flushParts();
    const b = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    return b;
  }
}

/** A pool of incompressible printable bytes to cut values from (LZF gains nothing on it, like real payloads). */
function pool(rand: () => number, n: number): Buffer {
  const abc = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = abc[(rand() * 64) | 0];
  return b;
}

export class Mix {
  private readonly rand: () => number;
  private readonly pool: Buffer;
  constructor(seed: number) {
    this.rand = rng(seed);
    this.pool = pool(this.rand, 1 << 22);
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
  /** Printable bytes of length n (ASCII text via latin1 when short, a pool slice otherwise). */
  private val(n: number): string {
    const at = this.int(0, this.pool.length - n - 1);
    return this.pool.toString('latin1', at, at + n);
  }
  private ttl(w: RespWriter, key: string, share: number): void {
    if (this.rand() < share) w.cmd(['EXPIRE', key, String(this.int(86400, 30 * 86400))]);
  }

  /** Writes the commands for key number i (all keys in db 0) and returns the key's name. */
  key(w: RespWriter, i: number): string {
    const r = this.rand();
    if (r < 0.45) return this.string(w, i);
    if (r < 0.65) return this.hash(w, i);
    if (r < 0.77) return this.set(w, i);
    if (r < 0.89) return this.zset(w, i);
    return this.list(w, i);
  }
  private string(w: RespWriter, i: number): string {
    const r = this.rand();
    let key: string;
    let v: string;
    if (r < 0.25) { key = `counter:${i}`; v = String(this.int(0, 1e9)); }
    else if (r < 0.7) { key = `session:${i.toString(16)}`; v = this.val(this.int(10, 60)); }
    else if (r < 0.9) { key = `cache:page:${i}`; v = this.val(this.int(100, 1000)); }
    else if (r < 0.96) { key = `blob:${i}`; v = this.val(this.int(1000, 3000)); }
    else { key = `doc:${i}`; v = this.val(r < 0.995 ? this.int(3000, 8000) : this.int(8000, 24000)); }
    w.cmd(['SET', key, v]);
    this.ttl(w, key, 0.4);
    return key;
  }
  private hash(w: RespWriter, i: number): string {
    const key = `user:${i}`;
    const big = this.rand() < 0.01;
    const n = big ? this.int(600, 1500) : this.int(3, 25);
    const args = ['HSET', key];
    for (let f = 0; f < n; f++) args.push(big ? `f:${f}` : `field${f}`, this.rand() < 0.3 ? String(this.int(0, 99999)) : this.val(this.int(5, 25)));
    w.cmd(args);
    this.ttl(w, key, 0.1);
    return key;
  }
  private set(w: RespWriter, i: number): string {
    const key = `tags:${i}`;
    const r = this.rand();
    const args = ['SADD', key];
    if (r < 0.6) for (let n = this.int(5, 80); n > 0; n--) args.push(String(this.int(0, 1e7)));
    else if (r < 0.99) for (let n = this.int(5, 40); n > 0; n--) args.push(this.val(this.int(8, 20)));
    else for (let n = this.int(600, 2000); n > 0; n--) args.push(this.val(12));
    w.cmd(args);
    this.ttl(w, key, 0.1);
    return key;
  }
  private zset(w: RespWriter, i: number): string {
    const key = `rank:${i}`;
    const big = this.rand() < 0.01;
    const args = ['ZADD', key];
    for (let n = big ? this.int(200, 1000) : this.int(3, 40); n > 0; n--) args.push(String(this.int(0, 1e6) / 4), this.val(this.int(8, 20)));
    w.cmd(args);
    this.ttl(w, key, 0.1);
    return key;
  }
  private list(w: RespWriter, i: number): string {
    const key = `queue:${i}`;
    const long = this.rand() < 0.001;
    const args = ['RPUSH', key];
    for (let n = long ? this.int(2000, 10000) : this.int(3, 30); n > 0; n--) args.push(this.val(this.int(10, 50)));
    w.cmd(args);
    this.ttl(w, key, 0.1);
    return key;
  }

  /** A few big keys and a stream with a consumer group and pending entries; returns their names. */
  bigKeys(w: RespWriter, flush: () => Promise<void>, scale: number): Promise<string[]> {
    const n = (x: number): number => Math.max(10, Math.round(x * scale));
    const steps: Array<[string, (k: string, j: number) => Array<string>]> = [
      ['big:hash', (k, j) => ['HSET', k, `field:${j}`, this.val(20)]],
      ['big:set', (k, j) => ['SADD', k, `member:${j}`]],
      ['big:zset', (k, j) => ['ZADD', k, String(j), `player:${j}`]],
      ['big:list', (k) => ['RPUSH', k, this.val(24)]],
      ['big:stream', (k, j) => ['XADD', k, `${1700000000000 + j}-0`, 'event', 'click', 'user', String(j % 5000)]],
    ];
    const counts = [n(200000), n(200000), n(200000), n(500000), n(100000)];
    return (async () => {
      for (let s = 0; s < steps.length; s++) {
        const [key, make] = steps[s];
        for (let j = 0; j < counts[s]; j++) {
          w.cmd(make(key, j));
          if (w.size > 8 << 20) await flush();
        }
      }
      w.cmd(['XGROUP', 'CREATE', 'big:stream', 'workers', '0']);
      w.cmd(['XREADGROUP', 'GROUP', 'workers', 'w1', 'COUNT', String(n(5000)), 'STREAMS', 'big:stream', '>']);
      w.cmd(['SET', 'big:string', this.val(1 << 20).repeat(Math.max(1, Math.round(20 * scale)))]);
      return steps.map((s) => s[0]).concat('big:string');
    })();
  }
}
