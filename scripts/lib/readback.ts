/**
 * Reads every key of a live redis-server back into plain JSON, from the server itself (never from our decoder),
 * so that fixtures come with an independent expectation. Binary safe: every reply is read as bytes.
 *
 * Byte strings are written as a JSON string when they are valid UTF-8 without control characters, otherwise as
 * `{ "hex": "..." }`. See fixtures/README.md for the full format.
 */
import { Redis } from 'ioredis';

export type Bytes = string | { hex: string };
type Reply = Buffer | number | null | Reply[];

export interface ExpectedKey {
  db: number;
  key: Bytes;
  type: string;
  encoding: string;
  length: number;
  expiresAtMs: number | null;
  memoryUsage: number;
  value: unknown;
  /** Hashes with field TTLs: [field, absolute expiry ms] for each field that has one. */
  fieldExpiresAtMs?: Array<[Bytes, number]>;
}

export interface ExpectedFunction {
  library: Bytes;
  engine: string;
  functions: Bytes[];
  code: Bytes;
}

/** Byte string to its JSON form (see module comment). */
export function bytesJson(b: Buffer): Bytes {
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (Buffer.from(s, 'utf8').equals(b) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return s;
  return { hex: b.toString('hex') };
}

function buf(r: Reply): Buffer {
  if (!Buffer.isBuffer(r)) throw new Error(`expected a bulk string reply, got ${JSON.stringify(r)}`);
  return r;
}
function arr(r: Reply): Reply[] {
  if (!Array.isArray(r)) throw new Error(`expected an array reply, got ${JSON.stringify(r)}`);
  return r;
}
function int(r: Reply): number {
  if (typeof r === 'number') return r;
  if (Buffer.isBuffer(r)) return Number(r.toString());
  throw new Error(`expected an integer reply, got ${JSON.stringify(r)}`);
}
function text(r: Reply): string {
  return buf(r).toString('utf8');
}
/** A flat [name, value, name, value...] reply as a map from name to value. */
function fields(r: Reply): Map<string, Reply> {
  const a = arr(r);
  const m = new Map<string, Reply>();
  for (let i = 0; i + 1 < a.length; i += 2) m.set(text(a[i]), a[i + 1]);
  return m;
}
function get(m: Map<string, Reply>, name: string): Reply {
  const v = m.get(name);
  if (v === undefined) throw new Error(`XINFO reply has no field ${name}`);
  return v;
}
/** A field that older servers do not have (Redis 6.2's XINFO STREAM FULL has no entries-added...): null then. */
function opt(m: Map<string, Reply>, name: string): Reply {
  return m.get(name) ?? null;
}
function score(r: Reply): number | string {
  const s = text(r);
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}
function pairs(a: Reply[]): Array<[Bytes, Bytes]> {
  const out: Array<[Bytes, Bytes]> = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([bytesJson(buf(a[i])), bytesJson(buf(a[i + 1]))]);
  return out;
}
function compareBytes(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

export class Readback {
  readonly client: Redis;
  constructor(port: number) {
    this.client = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
  }
  async cmd(...args: Array<string | Buffer | number>): Promise<Reply> {
    const [name, ...rest] = args;
    return (await this.client.callBuffer(String(name), ...rest)) as Reply;
  }
  async close(): Promise<void> {
    await this.client.quit();
  }

  /** All keys of one db, sorted by their bytes. */
  async keysOf(db: number): Promise<Buffer[]> {
    await this.cmd('SELECT', db);
    const keys: Buffer[] = [];
    let cursor = '0';
    do {
      const r = arr(await this.cmd('SCAN', cursor, 'COUNT', 1000));
      cursor = text(r[0]);
      for (const k of arr(r[1])) keys.push(buf(k));
    } while (cursor !== '0');
    return keys.sort(compareBytes);
  }

  private async streamValue(key: Buffer): Promise<unknown> {
    const entries = arr(await this.cmd('XRANGE', key, '-', '+')).map((e) => {
      const [id, f] = arr(e);
      return { id: text(id), fields: pairs(arr(f)) };
    });
    const info = fields(await this.cmd('XINFO', 'STREAM', key, 'FULL', 'COUNT', 0));
    const groups = arr(get(info, 'groups')).map((g) => {
      const gm = fields(g);
      return {
        name: bytesJson(buf(get(gm, 'name'))),
        lastDeliveredId: text(get(gm, 'last-delivered-id')),
        entriesRead: opt(gm, 'entries-read') === null ? null : int(get(gm, 'entries-read')),
        pelCount: int(get(gm, 'pel-count')),
        pending: arr(get(gm, 'pending')).map((p) => {
          const [id, consumer, time, count] = arr(p);
          return { id: text(id), consumer: bytesJson(buf(consumer)), deliveryTimeMs: int(time), deliveryCount: int(count) };
        }),
        consumers: arr(get(gm, 'consumers')).map((c) => {
          const cm = fields(c);
          return {
            name: bytesJson(buf(get(cm, 'name'))),
            seenTimeMs: int(get(cm, 'seen-time')),
            pelCount: int(get(cm, 'pel-count')),
            pending: arr(get(cm, 'pending')).map((p) => text(arr(p)[0])),
          };
        }),
      };
    });
    return {
      entries,
      lastGeneratedId: text(get(info, 'last-generated-id')),
      maxDeletedEntryId: opt(info, 'max-deleted-entry-id') === null ? null : text(get(info, 'max-deleted-entry-id')),
      entriesAdded: opt(info, 'entries-added') === null ? null : int(get(info, 'entries-added')),
      recordedFirstEntryId: opt(info, 'recorded-first-entry-id') === null ? null : text(get(info, 'recorded-first-entry-id')),
      radixTreeKeys: int(get(info, 'radix-tree-keys')),
      groups,
    };
  }

  /** One key's type, encoding, length, expiry, MEMORY USAGE and full value, read with the server's commands. */
  async key(db: number, key: Buffer): Promise<ExpectedKey> {
    const memoryUsage = int(await this.cmd('MEMORY', 'USAGE', key, 'SAMPLES', 0));
    const type = text(await this.cmd('TYPE', key));
    const encoding = text(await this.cmd('OBJECT', 'ENCODING', key));
    const exp = await this.expireTime(key);
    let length: number;
    let value: unknown;
    switch (type) {
      case 'string':
        value = bytesJson(buf(await this.cmd('GET', key)));
        length = int(await this.cmd('STRLEN', key));
        break;
      case 'list':
        value = arr(await this.cmd('LRANGE', key, 0, -1)).map((v) => bytesJson(buf(v)));
        length = int(await this.cmd('LLEN', key));
        break;
      case 'set':
        value = arr(await this.cmd('SMEMBERS', key)).map(buf).sort(compareBytes).map(bytesJson);
        length = int(await this.cmd('SCARD', key));
        break;
      case 'zset': {
        const a = arr(await this.cmd('ZRANGE', key, 0, -1, 'WITHSCORES'));
        const out: Array<[Bytes, number | string]> = [];
        for (let i = 0; i + 1 < a.length; i += 2) out.push([bytesJson(buf(a[i])), score(a[i + 1])]);
        value = out;
        length = int(await this.cmd('ZCARD', key));
        break;
      }
      case 'hash': {
        const p = pairs(arr(await this.cmd('HGETALL', key)));
        value = p;
        length = int(await this.cmd('HLEN', key));
        const ttls = await this.fieldExpireTimes(key, arr(await this.cmd('HKEYS', key)).map(buf));
        if (ttls) return { db, key: bytesJson(key), type, encoding, length, expiresAtMs: exp < 0 ? null : exp, memoryUsage, value, fieldExpiresAtMs: ttls };
        break;
      }
      case 'stream':
        value = await this.streamValue(key);
        length = int(await this.cmd('XLEN', key));
        break;
      default:
        throw new Error(`unsupported type ${type}`);
    }
    return { db, key: bytesJson(key), type, encoding, length, expiresAtMs: exp < 0 ? null : exp, memoryUsage, value };
  }

  private hasPexpiretime: boolean | null = null;
  private hasFieldTtls: boolean | null = null;

  /** PEXPIRETIME (7.0+), or TIME + PTTL on older servers (then it can be a millisecond off). */
  async expireTime(key: Buffer): Promise<number> {
    if (this.hasPexpiretime !== false) {
      try {
        const v = int(await this.cmd('PEXPIRETIME', key));
        this.hasPexpiretime = true;
        return v;
      } catch (e) {
        if (this.hasPexpiretime === true) throw e;
        this.hasPexpiretime = false;
      }
    }
    const pttl = int(await this.cmd('PTTL', key));
    if (pttl < 0) return pttl;
    const [s, us] = arr(await this.cmd('TIME')).map(int);
    return s! * 1000 + Math.round(us! / 1000) + pttl;
  }

  /** Each field's absolute expiry (HPEXPIRETIME, Redis 7.4+ / Valkey 9+) when any field has one, else null. */
  async fieldExpireTimes(key: Buffer, fieldNames: Buffer[]): Promise<Array<[Bytes, number]> | null> {
    if (this.hasFieldTtls === false || fieldNames.length === 0) return null;
    let times: number[];
    try {
      times = arr(await this.cmd('HPEXPIRETIME', key, 'FIELDS', fieldNames.length, ...fieldNames)).map(int);
      this.hasFieldTtls = true;
    } catch (e) {
      if (this.hasFieldTtls === true) throw e;
      this.hasFieldTtls = false;
      return null;
    }
    const out: Array<[Bytes, number]> = [];
    fieldNames.forEach((f, i) => { if (times[i]! >= 0) out.push([bytesJson(f), times[i]!]); });
    return out.length ? out : null;
  }

  /** Every key of the given dbs, sorted by db then key bytes. */
  async allKeys(dbs: number[]): Promise<ExpectedKey[]> {
    const out: ExpectedKey[] = [];
    for (const db of dbs) {
      for (const k of await this.keysOf(db)) out.push(await this.key(db, k));
    }
    return out;
  }

  async functions(): Promise<ExpectedFunction[]> {
    return arr(await this.cmd('FUNCTION', 'LIST', 'WITHCODE')).map((lib) => {
      const m = fields(lib);
      return {
        library: bytesJson(buf(get(m, 'library_name'))),
        engine: text(get(m, 'engine')),
        functions: arr(get(m, 'functions')).map((f) => bytesJson(buf(get(fields(f), 'name')))),
        code: bytesJson(buf(get(m, 'library_code'))),
      };
    });
  }

  async serverVersion(): Promise<string> {
    const info = text(await this.cmd('INFO', 'server'));
    const m = /redis_version:(\S+)/.exec(info);
    const v = /valkey_version:(\S+)/.exec(info);
    return v ? `valkey ${v[1]}` : `redis ${m ? m[1] : 'unknown'}`;
  }
}
