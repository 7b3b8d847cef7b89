/**
 * Memory a value would take written another way (a shorter string, a hash instead of a JSON string), as the
 * writing server counts it: the inventory's own memory model (src/memory) fed with the value it would hold.
 */
import type { KeyHeader, KeyRecord, RedisType } from '../decode/model.js';
import { MemoryEstimator, type AllocatorName } from '../memory/index.js';
import type { MemoryModelName } from '../memory/layout.js';
import { LP_OVERHEAD, lpIntEntry, lpStringEntry } from '../memory/cost.js';
import { isIntEncodable } from '../memory/value.js';

/** The server's defaults for a hash to stay a listpack (hash-max-listpack-entries / -value). */
export const HASH_LISTPACK_ENTRIES = 128;
export const HASH_LISTPACK_VALUE = 64;

export class WhatIfMemory {
  private readonly est: MemoryEstimator;

  constructor(model: MemoryModelName, allocator: AllocatorName) {
    this.est = new MemoryEstimator({ model, allocator });
  }

  private header(keyLen: number, ttl: boolean, type: RedisType): KeyHeader {
    return { db: 0, key: Buffer.alloc(keyLen, 0x61), rdbType: 0, type, expiresAtMs: ttl ? 1 : null, idleS: null, freq: null, offset: 0 };
  }

  private record(h: KeyHeader, encoding: string, length: number): KeyRecord {
    return {
      ...h, encoding, length, rdbBytes: 0, largestElement: 0, fieldTtls: 0, minFieldExpiresAtMs: null, moduleName: null,
      scoreMin: null, scoreMax: null,
    };
  }

  /** A string key of `keyLen` bytes holding `valueLen` bytes (not an integer). */
  string(keyLen: number, valueLen: number, ttl: boolean): number {
    const h = this.header(keyLen, ttl, 'string');
    this.est.beginKey(h);
    this.est.stringValue(valueLen, null);
    this.est.endKey(this.record(h, valueLen <= 44 ? 'embstr' : 'raw', valueLen));
    return this.est.lastKeyBytes;
  }

  /** A hash of these field/value pairs, as the listpack or hash table HSET would make it. */
  hash(keyLen: number, pairs: ReadonlyArray<readonly [string, string]>, ttl: boolean): number {
    const h = this.header(keyLen, ttl, 'hash');
    this.est.beginKey(h);
    const bytes = pairs.map(([f, v]) => [Buffer.from(f), Buffer.from(v)] as const);
    const listpack = bytes.length <= HASH_LISTPACK_ENTRIES && bytes.every(([f, v]) => f.length <= HASH_LISTPACK_VALUE && v.length <= HASH_LISTPACK_VALUE);
    if (listpack) {
      let lp = LP_OVERHEAD;
      for (const [f, v] of bytes) lp += entry(f) + entry(v);
      this.est.blob('listpack', lp, bytes.length * 2);
    } else {
      for (const [f, v] of bytes) this.est.hashField(f, v, null);
    }
    this.est.endKey(this.record(h, listpack ? 'listpack' : 'hashtable', bytes.length));
    return this.est.lastKeyBytes;
  }
}

function entry(b: Buffer): number {
  return isIntEncodable(b, b.length) ? lpIntEntry(Number(b.toString())) : lpStringEntry(b.length);
}
