/**
 * What the decoder emits. The decoder knows nothing of SQLite, memory models or output formats: it calls the
 * methods of an {@link RdbHandler} in file order, one key at a time, and never holds a whole collection.
 *
 * Element callbacks receive {@link Scalar}s. A `Uint8Array` is a view into the decoder's buffer that is only
 * valid during the call: copy it (`slice()`) to keep it.
 */

/** Redis data types as users know them (the `TYPE` command's answer). */
export type RedisType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module';

/** A value element: bytes, or an integer that the RDB stored in integer form (its decimal text is the value). */
export type Scalar = Uint8Array | number | bigint;

export type Magic = 'REDIS' | 'VALKEY';

/** Compact single-allocation containers that the RDB stores as one string. */
export type BlobKind = 'ziplist' | 'listpack' | 'intset' | 'zipmap';

/** Known at the start of a key, before its value is read. */
export interface KeyHeader {
  readonly db: number;
  /** The key's exact bytes (owned copy). */
  readonly key: Uint8Array;
  /** The RDB type byte (meaning depends on magic: 22 is a Redis 7.4 hash with field TTLs or a Valkey hash2). */
  readonly rdbType: number;
  readonly type: RedisType;
  /** Absolute expiry in ms since the epoch, or null. */
  readonly expiresAtMs: number | null;
  /** LRU idle seconds (IDLE opcode), or null. */
  readonly idleS: number | null;
  /** LFU logarithmic counter (FREQ opcode), or null. */
  readonly freq: number | null;
  /** Byte offset of the key's first byte in the (decompressed) RDB stream, including its EXPIRE/IDLE/FREQ opcodes. */
  readonly offset: number;
}

/** Everything known about a key once its value has been read. */
export interface KeyRecord extends KeyHeader {
  /**
   * The in-memory encoding the writing server used: `int`, `embstr`, `raw`, `listpack`, `ziplist`, `zipmap`,
   * `quicklist`, `linkedlist`, `intset`, `hashtable`, `skiplist`, `stream`, or the module's name.
   */
  readonly encoding: string;
  /** STRLEN for strings, element count otherwise (stream: entries; module: 0). */
  readonly length: number;
  /** Bytes the record takes in the file (from its first opcode to the end of its value). */
  readonly rdbBytes: number;
  /** Bytes of the largest element: string length, list item, set/zset member, hash field+value, stream entry. */
  readonly largestElement: number;
  /** Hash fields that carry their own TTL (Redis 7.4+ HFE, Valkey hash2). */
  readonly fieldTtls: number;
  /** Earliest field expiry among those fields, or null. */
  readonly minFieldExpiresAtMs: number | null;
  /** For modules: the 9-character module type name. */
  readonly moduleName: string | null;
  /** For zsets: the lowest and highest score (NaN scores ignored), or null for an empty zset or another type. */
  readonly scoreMin: number | null;
  readonly scoreMax: number | null;
}

export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

/** Stream metadata, read after the stream's listpacks. */
export interface StreamMeta {
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId | null;
  readonly maxDeletedId: StreamId | null;
  readonly entriesAdded: number | null;
  readonly groups: number;
}

export interface StreamGroup {
  readonly name: Uint8Array;
  readonly lastId: StreamId;
  readonly entriesRead: number | null;
  /** Entries in the group's pending entries list. */
  readonly pending: number;
  readonly consumers: number;
}

export interface StreamConsumer {
  readonly group: Uint8Array;
  readonly name: Uint8Array;
  readonly seenTimeMs: number;
  readonly activeTimeMs: number | null;
  /** Entries of the group PEL owned by this consumer. */
  readonly pending: number;
}

export interface StreamPendingEntry {
  readonly group: Uint8Array;
  readonly id: StreamId;
  readonly deliveryTimeMs: number;
  readonly deliveryCount: number;
}

export interface FunctionLibrary {
  /** 'function2' (opcode 245) or 'function-pre-ga' (246, Redis 7.0 RC). */
  readonly opcode: 'function2' | 'function-pre-ga';
  /** Library code (for 245 it starts with the `#!lua name=...` shebang). */
  readonly code: Uint8Array;
  /** Library name where the record states it (pre-GA form, or the shebang). */
  readonly name: string | null;
  readonly engine: string | null;
}

export interface ModuleAux {
  readonly module: string;
  readonly moduleVersion: number;
  readonly when: number;
  readonly bytes: number;
}

export type ChecksumStatus = 'ok' | 'absent' | 'disabled' | 'skipped';

export interface DumpSummary {
  readonly magic: Magic;
  readonly version: number;
  readonly keys: number;
  /** Bytes read, up to and including the checksum. */
  readonly bytes: number;
  readonly checksum: ChecksumStatus;
  /** The checksum stored in the file, as 16 hex digits, or null. */
  readonly storedChecksum: string | null;
}

/**
 * Callbacks, all optional. Element callbacks for compact encodings (listpack, ziplist, intset, zipmap) are made
 * only when the parser was asked for values; the sizes the memory model needs come through `blob`/`quicklistNode`.
 * Elements of hashtable-, linkedlist- and skiplist-encoded collections are always reported (they are read one by
 * one from the stream anyway).
 */
export interface RdbHandler {
  header?(magic: Magic, version: number): void;
  aux?(name: string, value: Uint8Array): void;
  selectDb?(db: number): void;
  resizeDb?(db: number, keys: number, expires: number): void;
  functionLibrary?(lib: FunctionLibrary): void;
  moduleAux?(aux: ModuleAux): void;
  slotInfo?(slot: number, keys: number, expires: number): void;
  /** Valkey 9 atomic slot migration state (opcode 243 in a VALKEY file). */
  slotImport?(jobName: Uint8Array, ranges: Array<[number, number]>): void;

  beginKey?(h: KeyHeader): void;
  /**
   * A string value. `value` holds the bytes (or the integer) when they were materialized: always for
   * integer-encoded and short strings, for any string when values were requested; otherwise null.
   */
  stringValue?(len: number, value: Scalar | null): void;
  /**
   * When values were requested, for a string longer than the parser's `streamStringBytes` and a handler that has
   * this method: the value's bytes in pieces (each valid only during the call), before stringValue, which then
   * gets null. A value of any size is decoded in constant memory this way.
   */
  stringChunk?(piece: Uint8Array): void;
  /**
   * For strings of over 20 bytes when the parser was given `sampleBytes`: the first `sampleBytes` bytes of the value
   * (decompressed), for measuring compressibility or recognizing a format without holding the whole value.
   * Called before stringValue. `len`: the value's whole length.
   */
  stringSample?(sample: Uint8Array, len: number): void;
  /**
   * Asked right after beginKey: how many bytes of this key's value the handler wants to look at (0: none, the
   * default). For a string over 20 bytes, stringSample then gets the first max(sampleBytes, N) bytes; for a list,
   * set, sorted set or hash, every element (list item, member, hash field value) goes to elementSample, whatever
   * the encoding (quicklist plain nodes of up to 1 MiB). Asking for nothing costs the decoder nothing.
   */
  valueSampleBytes?(): number;
  /** An element of a key valueSampleBytes() asked for (valid only during the call). */
  elementSample?(v: Scalar): void;
  /** Every hash field name, whatever the encoding, when the parser was given `fieldNames`. */
  hashFieldName?(field: Scalar): void;
  listItem?(v: Scalar): void;
  setMember?(v: Scalar): void;
  zsetMember?(member: Scalar, score: number): void;
  hashField?(field: Scalar, value: Scalar, expiresAtMs: number | null): void;
  /** A compact container holding a whole value (hash/list/set/zset), or one quicklist node's container. */
  blob?(kind: BlobKind, bytes: number, entries: number): void;
  /**
   * One quicklist node. `container` is 'plain' for a single big element (quicklist2 plain node), otherwise
   * 'packed' (a ziplist for RDB type 14, a listpack for 18). `storedBytes` is the node's size in the file
   * (smaller than `bytes` when it was LZF-compressed there).
   */
  quicklistNode?(container: 'plain' | 'packed', bytes: number, entries: number, storedBytes: number): void;
  /** One listpack of a stream's radix tree: its entry counts (valid + deleted), master fields and master ID. */
  streamNode?(lpBytes: number, entries: number, deleted: number, masterFields: number, masterId: StreamId): void;
  /** A stream entry (only when values were requested). `fields` alternates field, value. */
  streamEntry?(id: StreamId, fields: Scalar[]): void;
  streamMeta?(meta: StreamMeta): void;
  streamGroup?(group: StreamGroup): void;
  streamConsumer?(consumer: StreamConsumer): void;
  /** A group's PEL entry (always reported: the memory model counts the PEL's radix tree). */
  streamPending?(entry: StreamPendingEntry): void;
  moduleValue?(name: string, version: number, bytes: number): void;
  endKey?(rec: KeyRecord): void;

  /** Called after the EOF opcode and checksum were read. */
  end?(summary: DumpSummary): void;
}
