/**
 * The RdbHandler that turns decoder callbacks into inventory rows: one KeyRow per key, plus the per-dump facts
 * (aux fields, databases, modules, functions). Runs in the decoding worker.
 */
import { isUtf8 } from 'node:buffer';
import { deflateRawSync } from 'node:zlib';
import type { DumpSummary, FunctionLibrary, KeyHeader, KeyRecord, Magic, ModuleAux, RdbHandler, Scalar } from '../decode/model.js';
import { DbTally } from '../decode/db-tally.js';
import { auxInteger, type DumpFacts, type FunctionRow, type ModuleRow } from './batch.js';
import type { KeyMemory, KeyPatterns } from './integrations.js';
import { BatchPacker, type PackedBatch } from './pack.js';
import { FieldNames, looksLikeJson } from './signals.js';
import { keySlot } from './slot.js';
import { compressedMagic } from '../shapes/detect.js';
import { analyzeShapes } from '../shapes/analyze.js';
import { ValueSampler, type SampleOptions } from '../shapes/sampler.js';
import type { MemoryModelName } from '../memory/layout.js';

const textDecoder = new TextDecoder('utf-8');

/**
 * Bytes of a large string value that are deflated to measure its compressibility: a 4 KiB prefix predicts the
 * 2:1 question well and keeps indexing fast (a 64 KiB sample made deflate the most expensive step of an index).
 */
export const COMPRESS_SAMPLE_BYTES = 4096;

/**
 * Every large value is measured until this many have been; after that one in COMPRESS_STRIDE is (a deflate call
 * costs tens of microseconds: measuring all of a dump's large values would dominate indexing). Rules extrapolate
 * from the measured keys of a family to the whole family.
 */
export const COMPRESS_MEASURE_ALL = 1024;
export const COMPRESS_STRIDE = 32;
/** Values of at least this many bytes are always measured (the largest values are where compression pays most). */
export const COMPRESS_ALWAYS_BYTES = 64 * 1024;

/**
 * original/compressed size of a raw deflate (level 1) of the sample, rounded to 3 decimals. Node's built-in zlib
 * rather than fflate: the same DEFLATE, but about three times faster on 4 KiB samples (26 against 80 us), which
 * on a dump with many large strings was the single most expensive step of indexing.
 */
export function compressRatio(sample: Uint8Array): number | null {
  if (sample.length === 0) return null;
  const packed = deflateRawSync(sample, { level: 1 });
  return Math.round((sample.length / Math.max(1, packed.length)) * 1000) / 1000;
}

/** key_text of a row built here: only whether it is null matters (the writer decodes the key bytes as text). */
const IS_TEXT = '';

export class RowBuilder implements RdbHandler {
  private readonly packer: BatchPacker;
  private ratio: number | null = null;
  private largeValues = 0;
  private format: string | null = null;
  private readonly fields = new FieldNames();
  private moduleVersion: number | null = null;
  private readonly dbs = new DbTally();
  private readonly modules = new Map<string, ModuleRow>();
  private readonly functions: FunctionRow[] = [];
  private readonly auxFields: Array<[string, Uint8Array]> = [];
  private readonly patternsSeen = new Set<string>();
  private pattern: string | null = null;
  private readonly sampler: ValueSampler | null;
  private sampleWant = 0;
  private magic: Magic | null = null;
  private ctime: number | null = null;
  private version: number | null = null;
  private keyCount = 0;
  private memoryTotal = 0;
  private checksum = 'skipped';
  /** Byte offset of the last key seen (for progress). */
  offset = 0;

  constructor(
    batchSize: number,
    private readonly flush: (batch: PackedBatch) => void,
    private readonly patterns: KeyPatterns | null,
    private readonly memory: KeyMemory | null,
    sample: SampleOptions | null = null,
  ) {
    this.packer = new BatchPacker(batchSize);
    this.sampler = sample ? new ValueSampler(sample) : null;
  }

  header(magic: Magic, version: number): void {
    this.magic = magic;
    this.version = version;
  }

  aux(name: string, value: Uint8Array): void {
    this.auxFields.push([name, value.slice()]);
    if (name === 'ctime') {
      const s = auxInteger(textDecoder.decode(value)); // as the writer reads snapshots.ctime
      this.ctime = s === null ? null : s * 1000;
    }
  }

  /** The dump's ctime in ms, as far as the dump has been read (null: none yet). */
  ctimeMs(): number | null {
    return this.ctime;
  }

  resizeDb(db: number, keys: number, expires: number): void {
    this.dbs.resize(db, keys, expires);
  }

  functionLibrary(lib: FunctionLibrary): void {
    this.functions.push({ name: lib.name, engine: lib.engine, code: textDecoder.decode(lib.code) });
  }

  moduleAux(aux: ModuleAux): void {
    const key = `aux\0${aux.module}`;
    const m = this.modules.get(key) ?? { name: aux.module, version: aux.moduleVersion, kind: 'aux', keys: 0, bytes: 0 };
    m.bytes += aux.bytes;
    this.modules.set(key, m);
  }

  beginKey(h: KeyHeader): void {
    this.ratio = null;
    this.format = null;
    this.fields.beginKey();
    this.moduleVersion = null;
    this.offset = h.offset;
    if (this.patterns) {
      this.pattern = this.patterns.infer(h.key);
      this.patternsSeen.add(this.pattern);
    }
    this.sampleWant = this.sampler ? this.sampler.begin(this.pattern) : 0;
  }

  valueSampleBytes(): number {
    return this.sampleWant;
  }

  elementSample(v: Scalar): void {
    this.sampler!.element(v);
  }

  stringValue(len: number, value: Scalar | null): void {
    if (this.sampleWant > 0) this.sampler!.stringValue(len, value);
  }

  stringSample(sample: Uint8Array, len: number): void {
    if (this.sampleWant > 0) this.sampler!.string(sample, len);
    // The format and ratio read the first COMPRESS_SAMPLE_BYTES whatever was asked for the value sample.
    const head = sample.length > COMPRESS_SAMPLE_BYTES ? sample.subarray(0, COMPRESS_SAMPLE_BYTES) : sample;
    this.format = looksLikeJson(head) ? 'json' : null;
    if (head.length <= 1024) return; // compressibility is measured on values of over 1 KiB only
    const n = this.largeValues++;
    if (n < COMPRESS_MEASURE_ALL || n % COMPRESS_STRIDE === 0 || len >= COMPRESS_ALWAYS_BYTES) {
      // An already compressed value (gzip, zlib, zstd, lz4, snappy) gains nothing from compressing it again.
      this.ratio = compressedMagic(head) ? 1 : compressRatio(head);
    }
  }

  hashFieldName(field: Scalar): void {
    this.fields.add(field);
  }

  moduleValue(name: string, version: number): void {
    this.moduleVersion = version;
    void name;
  }

  endKey(r: KeyRecord): void {
    const memory = this.memory ? this.memory.lastKeyBytes() : 0;
    const key = r.key;
    const pattern = this.pattern;
    if (this.sampleWant > 0) this.sampler!.end(r, memory);
    this.packer.push([
      r.db, key, isUtf8(key) ? IS_TEXT : null, r.type, r.encoding, r.length, memory, r.rdbBytes, r.expiresAtMs, r.idleS,
      r.freq, keySlot(key), r.largestElement, r.fieldTtls, r.minFieldExpiresAtMs, pattern, this.ratio, r.moduleName,
      r.type === 'string' ? this.format : null, r.scoreMin, r.scoreMax,
    ]);
    if (r.type === 'hash' && pattern !== null) this.fields.endHash(pattern);
    this.dbs.add(r.db, r.expiresAtMs, memory);
    this.keyCount++;
    this.memoryTotal += memory;
    if (r.moduleName !== null) {
      const mk = `value\0${r.moduleName}`;
      const m = this.modules.get(mk) ?? { name: r.moduleName, version: this.moduleVersion, kind: 'value', keys: 0, bytes: 0 };
      m.keys++;
      m.bytes += r.rdbBytes;
      this.modules.set(mk, m);
    }
    if (this.packer.full()) this.flushRows();
  }

  end(summary: DumpSummary): void {
    this.checksum = summary.checksum;
    this.magic ??= summary.magic;
    this.version ??= summary.version;
  }

  flushRows(): void {
    if (this.packer.length === 0) return;
    this.flush(this.packer.take());
  }

  facts(): DumpFacts {
    const folds = this.patterns ? finalFolds(this.patternsSeen, this.patterns.foldings()) : [];
    return {
      magic: this.magic,
      rdbVersion: this.version,
      aux: this.auxFields,
      dbs: this.dbs.list(),
      modules: [...this.modules.values()],
      functions: this.functions,
      keyCount: this.keyCount,
      memoryTotal: this.memoryTotal,
      memoryModel: this.memory ? this.memory.model() : null,
      memoryVerified: this.memory ? this.memory.verified() : null,
      memoryAllocator: this.memory ? this.memory.allocator() : null,
      checksum: this.checksum,
      patternFolds: folds,
      hashFields: this.fields.rows(folds),
      shapes: this.sampler && this.memory
        ? analyzeShapes(this.sampler.reservoirs(), folds, this.memory.model() as MemoryModelName, this.memory.allocator())
        : null,
    };
  }
}

/** For each pattern seen, the pattern it ends up as once the foldings are applied in order (only changed ones). */
export function finalFolds(seen: Iterable<string>, foldings: Array<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const p of seen) {
    let q = p;
    for (const [from, to] of foldings) if (q === from) q = to;
    if (q !== p) out.push([p, q]);
  }
  return out;
}
