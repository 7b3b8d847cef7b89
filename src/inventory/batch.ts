import type { LiveSpec } from '../live/source.js';
import type { Shapes } from '../shapes/analyze.js';
import type { SampleOptions } from '../shapes/sampler.js';
import type { AllocatorName } from '../memory/index.js';
import type { DbCounts } from '../decode/db-tally.js';
import type { PackedBatch } from './pack.js';

/**
 * What the decoding worker sends to the writing thread. Rows are positional arrays in the order of KEY_COLUMNS,
 * so that a batch of 2,000 keys is a few plain arrays to clone rather than 2,000 objects.
 */

/** Columns of `keys` filled from a row, in row order (snapshot_id comes first and is added by the writer). */
export const KEY_COLUMNS = [
  'db', 'key', 'key_text', 'type', 'encoding', 'length', 'memory', 'rdb_bytes', 'expires_at', 'idle_s', 'freq',
  'slot', 'largest_element', 'field_ttls', 'min_field_expires_at', 'pattern', 'compress_ratio', 'module',
  'value_format', 'score_min', 'score_max',
] as const;

export type KeyRow = [
  db: number, key: Uint8Array, keyText: string | null, type: string, encoding: string, length: number,
  memory: number, rdbBytes: number, expiresAt: number | null, idleS: number | null, freq: number | null,
  slot: number, largestElement: number, fieldTtls: number, minFieldExpiresAt: number | null,
  pattern: string | null, compressRatio: number | null, module: string | null,
  valueFormat: string | null, scoreMin: number | null, scoreMax: number | null,
];

/** An aux field's value read as an integer (ctime, used-mem), or null when it is not one. */
export function auxInteger(text: string): number | null {
  return /^-?\d+$/.test(text) ? Number(text) : null;
}

/** How many hashes of a family carry a field name (see the hash_fields table). */
export interface HashFieldRow {
  pattern: string;
  field: Uint8Array;
  hashes: number;
  familyHashes: number;
}

export interface ModuleRow {
  name: string;
  version: number | null;
  kind: 'aux' | 'value';
  keys: number;
  bytes: number;
}

export interface FunctionRow {
  name: string | null;
  engine: string | null;
  code: string;
}

/** Everything about a dump that is known once it has been read to the end. */
export interface DumpFacts {
  magic: string | null;
  rdbVersion: number | null;
  aux: Array<[string, Uint8Array]>;
  dbs: DbCounts[];
  modules: ModuleRow[];
  functions: FunctionRow[];
  keyCount: number;
  memoryTotal: number;
  memoryModel: string | null;
  /** Whether that model was checked against a live server (snapshots.memory_verified). */
  memoryVerified: boolean | null;
  /** The allocator build the model assumed (snapshots.memory_allocator). */
  memoryAllocator: string | null;
  checksum: string;
  /** Final pattern of every pattern the rows carry that the inferrer folded into another one. */
  patternFolds: Array<[string, string]>;
  /** Hash field names per family, before folding (the writer applies patternFolds). */
  hashFields: HashFieldRow[];
  /** Value shapes per family from the value sample (null: not sampled). */
  shapes?: Shapes | null;
}

export type WorkerMessage =
  | { kind: 'identity'; size: number | null; gzip: boolean }
  | { kind: 'keys'; batch: PackedBatch; offset: number; ctimeMs: number | null }
  /** With a part file: a batch was written into it. */
  | { kind: 'progress'; keys: number; offset: number }
  /** `part`: the dump's snapshot is complete in that part file (its facts already written there). */
  | { kind: 'done'; facts: DumpFacts; offset: number; part?: string }
  | { kind: 'error'; message: string; user: boolean };

export interface WorkerInput {
  path: string;
  checksum: boolean;
  memoryModel: string | null;
  allocator: AllocatorName;
  cluster?: boolean;
  patterns: string[];
  batchSize: number;
  /** The value sample's bounds (null: no sample). */
  valuesSample?: SampleOptions | null;
  /** Int32Array over a SharedArrayBuffer: [0] batches in flight, [1] go (1) / stop (2) after the identity. */
  shared: SharedArrayBuffer;
  maxInFlight: number;
  /**
   * Where this thread writes the dump's rows itself, as the one snapshot of a new inventory file that the writing
   * thread copies in at the end (several dumps at a time: see run.ts). Absent: rows are posted in batches.
   */
  part?: { path: string; label: string; source: string };
  /** A running server to pull the snapshot from instead of a file (`path` is then its redis://host:port). */
  live?: LiveSpec;
}

export const SHARED_IN_FLIGHT = 0;
export const SHARED_DECISION = 1;
export const DECISION_GO = 1;
export const DECISION_STOP = 2;
