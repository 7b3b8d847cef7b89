/**
 * The opcode loop (rdb.c rdbLoadRioWithLoadingCtx): header, then AUX/SELECTDB/RESIZEDB/... opcodes and keys until
 * EOF, then the CRC-64 trailer. Magic and version are read together: opcode 243 and type 22 mean different things
 * in Redis and Valkey files.
 */
import { Crc64 } from './crc64.js';
import type { ExternalCrc } from './parallel-crc.js';
import { DecodeFault } from './errors.js';
import type { DumpSummary, FunctionLibrary, Magic, RdbHandler } from './model.js';
import { MAX_REDIS_VERSION, Opcode, VALKEY_VERSIONS, moduleNameFromId } from './opcodes.js';
import { ByteReader } from './reader.js';
import type { ByteSource } from './source.js';
import { readValue, skipModuleOpcodes, type ValueContext, type ValueState } from './values.js';

export interface ParseOptions {
  /** Materialize values and report every element (dump --values). Default false: sizes and counts only. */
  readonly values?: boolean;
  /** Verify the CRC-64 trailer when the file has one. Default true. */
  readonly checksum?: boolean;
  /** Pass the first N bytes of string values over 20 bytes to `stringSample` (0 = off). */
  readonly sampleBytes?: number;
  /** Report every hash field name to `hashFieldName` (listpack hashes are then walked with values). */
  readonly fieldNames?: boolean;
  /** With values: strings longer than this go to handler.stringChunk in pieces, when it has one (default 1 MiB). */
  readonly streamStringBytes?: number;
  /** Largest single string held in memory: a compact blob, or a value when values are asked for. Default 512 MiB. */
  readonly maxStringBytes?: number;
  /** A checksum computed elsewhere (in parallel, for regular files); replaces the inline CRC. */
  readonly externalCrc?: ExternalCrc | null;
}

const TYPE_NAMES: Record<number, 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module'> = {
  0: 'string', 1: 'list', 2: 'set', 3: 'zset', 4: 'hash', 5: 'zset', 6: 'module', 7: 'module', 9: 'hash',
  10: 'list', 11: 'set', 12: 'zset', 13: 'hash', 14: 'list', 15: 'stream', 16: 'hash', 17: 'zset', 18: 'list',
  19: 'stream', 20: 'set', 21: 'stream', 22: 'hash', 23: 'hash', 24: 'hash', 25: 'hash', 26: 'stream',
};

const text = new TextDecoder();

function readHeader(r: ByteReader): { magic: Magic; version: number } {
  r.need(9, 'the RDB header (REDIS or VALKEY and a version)');
  const head = text.decode(r.view(9, 'header'));
  let m = /^REDIS(\d{4})$/.exec(head);
  if (m) {
    const version = Number(m[1]);
    if (version < 1 || version > MAX_REDIS_VERSION) {
      throw new DecodeFault(5, `a Redis RDB version from 1 to ${MAX_REDIS_VERSION}, got ${version} (unsupported version)`);
    }
    return { magic: 'REDIS', version };
  }
  m = /^VALKEY(\d{3})$/.exec(head);
  if (m) {
    const version = Number(m[1]);
    if (!VALKEY_VERSIONS.includes(version)) {
      throw new DecodeFault(6, `a Valkey RDB version in ${VALKEY_VERSIONS.join(', ')}, got ${version} (unsupported version)`);
    }
    return { magic: 'VALKEY', version };
  }
  throw new DecodeFault(0, `the magic REDIS0001-REDIS00${MAX_REDIS_VERSION} or VALKEY080, got ${JSON.stringify(head)}`);
}

function readFunction(r: ByteReader, preGA: boolean): FunctionLibrary {
  if (preGA) {
    const name = text.decode(r.string('function name'));
    const engine = text.decode(r.string('function engine'));
    if (r.length('function description flag') !== 0) r.string('function description');
    return { opcode: 'function-pre-ga', name, engine, code: r.string('function code').slice() };
  }
  const code = r.string('function library code').slice();
  const shebang = /^#!(\S+)(?:.*?\bname=(\S+))?/.exec(text.decode(code.subarray(0, 256)));
  return { opcode: 'function2', name: shebang?.[2] ?? null, engine: shebang?.[1] ?? null, code };
}

/**
 * Decodes a whole RDB stream. Throws DecodeFault on bad input; a fault inside a key names where that key's record
 * starts too.
 */
export function parseStream(source: ByteSource, handler: RdbHandler, opts: ParseOptions, inputSize: number | null): DumpSummary {
  const where = { keyAt: -1 };
  try {
    return parseRecords(source, handler, opts, inputSize, where);
  } catch (e) {
    if (e instanceof DecodeFault && where.keyAt >= 0 && e.offset !== where.keyAt) {
      throw new DecodeFault(e.offset, `${e.expected} (in the key record starting at offset ${where.keyAt})`);
    }
    throw e;
  }
}

function parseRecords(
  source: ByteSource,
  handler: RdbHandler,
  opts: ParseOptions,
  inputSize: number | null,
  where: { keyAt: number },
): DumpSummary {
  const external = opts.checksum === false ? null : (opts.externalCrc ?? null);
  const crc = opts.checksum === false || external ? null : new Crc64();
  const r = new ByteReader(source, crc, { maxStringBytes: opts.maxStringBytes ?? 512 * 1024 * 1024, inputSize });
  const { magic, version } = readHeader(r);
  const valkey = magic === 'VALKEY';
  handler.header?.(magic, version);
  const st: ValueState = {
    encoding: '', length: 0, largest: 0, fieldTtls: 0, minFieldExpire: null, moduleName: null, scoreMin: null, scoreMax: null,
    sample: 0,
  };
  const ctx: ValueContext = {
    r, h: handler, values: opts.values === true, valkey, version, sampleBytes: opts.sampleBytes ?? 0,
    streamStringBytes: handler.stringChunk ? (opts.streamStringBytes ?? 1 << 20) : Infinity,
    fieldNames: opts.fieldNames === true && handler.hashFieldName !== undefined, st,
  };
  let db = 0;
  let keys = 0;
  let expires: number | null = null;
  let idle: number | null = null;
  let freq: number | null = null;
  let keyStart = -1;
  for (;;) {
    const at = r.offset;
    const op = r.u8('an opcode or a value type');
    if (op === Opcode.Eof) break;
    switch (op) {
      case Opcode.ExpireTimeMs:
        if (keyStart < 0) keyStart = at;
        expires = r.i64le('expire time (ms)');
        continue;
      case Opcode.ExpireTime:
        if (keyStart < 0) keyStart = at;
        expires = (r.u32le('expire time (s)') | 0) * 1000;
        continue;
      case Opcode.Idle:
        if (keyStart < 0) keyStart = at;
        idle = r.length('LRU idle time');
        continue;
      case Opcode.Freq:
        if (keyStart < 0) keyStart = at;
        freq = r.u8('LFU frequency');
        continue;
      case Opcode.EnterpriseSlotNum:
      case Opcode.EnterpriseRamLru:
        if (valkey) break;
        r.length('Redis Enterprise opcode argument');
        continue;
      case Opcode.SelectDb:
        db = r.length('database number');
        handler.selectDb?.(db);
        continue;
      case Opcode.ResizeDb: {
        const k = r.length('RESIZEDB key count');
        const e = r.length('RESIZEDB expires count');
        handler.resizeDb?.(db, k, e);
        continue;
      }
      case Opcode.Aux: {
        const name = text.decode(r.string('aux field name'));
        r.stringHeader('aux field value');
        const value = r.strKind === 1 ? new TextEncoder().encode(String(r.strInt)) : r.stringBody('aux field value').slice();
        handler.aux?.(name, value);
        continue;
      }
      case Opcode.ModuleAux: {
        const start = r.offset;
        const { name, version: moduleVersion } = moduleNameFromId(r.lengthBig('module aux id'));
        const whenOp = r.length('module aux when opcode');
        if (whenOp !== 2) throw r.fault(`module aux 'when' as an unsigned-int opcode (2), got ${whenOp}`);
        const when = r.length('module aux when');
        skipModuleOpcodes(r, `module ${name} aux data`);
        handler.moduleAux?.({ module: name, moduleVersion, when, bytes: r.offset - start });
        continue;
      }
      case Opcode.FunctionPreGA:
      case Opcode.Function2:
        const lib = readFunction(r, op === Opcode.FunctionPreGA);
        handler.functionLibrary?.(lib);
        continue;
      case Opcode.SlotInfo: {
        const slot = r.length('slot info slot');
        const size = r.length('slot info size');
        const expiresSize = r.length('slot info expires size');
        handler.slotInfo?.(slot, size, expiresSize);
        continue;
      }
      case Opcode.KeyMetaOrSlotImport:
        if (valkey) {
          const job = r.string('slot import job name').slice();
          const n = r.length('slot import range count');
          const ranges: Array<[number, number]> = [];
          for (let i = 0; i < n; i++) ranges.push([r.length('slot range start'), r.length('slot range end')]);
          handler.slotImport?.(job, ranges);
        } else {
          if (keyStart < 0) keyStart = at;
          const classes = r.length('key metadata class count');
          for (let i = 0; i < classes; i++) {
            r.skip(4, 'key metadata class spec');
            skipModuleOpcodes(r, 'key metadata');
          }
        }
        continue;
    }
    const type = TYPE_NAMES[op];
    if (type === undefined || (valkey && op > 22)) {
      throw new DecodeFault(at, `an opcode or a value type known for ${magic} RDB ${version}, got ${op} (0x${op.toString(16)})`);
    }
    where.keyAt = keyStart < 0 ? at : keyStart;
    // A Buffer (a Uint8Array) so that output stages can decode it without another copy.
    const key = Buffer.from(r.string('key'));
    const rec = {
      db, key, rdbType: op, type, expiresAtMs: expires, idleS: idle, freq, offset: keyStart < 0 ? at : keyStart,
      encoding: '', length: 0, rdbBytes: 0, largestElement: 0, fieldTtls: 0, minFieldExpiresAtMs: null as number | null,
      moduleName: null as string | null, scoreMin: null as number | null, scoreMax: null as number | null,
    };
    handler.beginKey?.(rec);
    st.sample = handler.valueSampleBytes && handler.elementSample ? handler.valueSampleBytes() : 0;
    st.largest = 0;
    st.fieldTtls = 0;
    st.minFieldExpire = null;
    st.moduleName = null;
    st.scoreMin = st.scoreMax = null;
    readValue(ctx, op);
    rec.encoding = st.encoding;
    rec.length = st.length;
    rec.largestElement = st.largest;
    rec.fieldTtls = st.fieldTtls;
    rec.minFieldExpiresAtMs = st.minFieldExpire;
    rec.moduleName = st.moduleName;
    rec.scoreMin = st.scoreMin;
    rec.scoreMax = st.scoreMax;
    rec.rdbBytes = r.offset - rec.offset;
    handler.endKey?.(rec);
    keys++;
    expires = idle = freq = null;
    keyStart = -1;
    where.keyAt = -1;
  }
  r.settleCrc();
  let checksum: DumpSummary['checksum'] = 'absent';
  let storedChecksum: string | null = null;
  if (version >= 5 || valkey) {
    const stored = r.view(8, 'the 8-byte CRC-64 checksum after EOF');
    storedChecksum = Array.from(stored).reverse().map((b) => b.toString(16).padStart(2, '0')).join('');
    const computed = storedChecksum === '0000000000000000' ? null : external ? external.crcUpTo(r.offset - 8) : (crc?.hex() ?? null);
    if (storedChecksum === '0000000000000000') checksum = 'disabled';
    else if (computed === null) checksum = 'skipped';
    else if (computed !== storedChecksum) {
      throw new DecodeFault(r.offset - 8, `checksum ${storedChecksum} to match the computed CRC-64 ${computed} (wrong checksum)`);
    } else checksum = 'ok';
  }
  const summary: DumpSummary = { magic, version, keys, bytes: r.offset, checksum, storedChecksum };
  handler.end?.(summary);
  return summary;
}
