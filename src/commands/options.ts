import { MemoryEstimator, ALLOCATORS, type AllocatorName, type MemoryModelName } from '../memory/index.js';
import { UserError } from '../errors.js';

export const MEMORY_MODELS = ['auto', 'redis-6.2', 'redis-7.0', 'redis-7.2', 'redis-7.4', 'redis-8', 'redis-8.6', 'valkey-8.0', 'valkey-8.1', 'valkey-9'] as const;

/** --allocator: how the server that wrote the dump was built (a dump does not say). */
export const allocatorOption = {
  allocator: {
    choices: ALLOCATORS, default: 'bundled' as AllocatorName,
    describe: "The writing server's jemalloc: 'bundled' (built from source: official images, most vendors) or " +
      "'system' (a distribution package linked to the system jemalloc, e.g. Debian's redis-server)",
  },
  cluster: {
    type: 'boolean',
    describe: 'The dump was written by a cluster node (default: from the dump, which shows it from Redis 7.4 and ' +
      'Valkey 8 on; it changes per-key memory on Redis 7.0 and 7.2 only)',
  },
} as const;

/** Options every command that reads a dump shares. */
export const dumpInputOptions = {
  checksum: { type: 'boolean', default: true, describe: 'Verify the CRC-64 trailer (--no-checksum to skip)' },
  'memory-model': { choices: MEMORY_MODELS, default: 'auto' as const, describe: 'Memory model (auto: from the dump\'s writer version)' },
  ...allocatorOption,
} as const;

export function estimatorFor(model: (typeof MEMORY_MODELS)[number], allocator: AllocatorName, cluster?: boolean): MemoryEstimator {
  return new MemoryEstimator({ model: model as MemoryModelName | 'auto', allocator, cluster });
}

export function parseDb(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--db takes a database number, got ${String(v)}`);
  return n;
}

/** The dump path as given; yargs turns a lone `-` (stdin) into an empty string. */
export function inputPath(v: string | undefined): string {
  return v === undefined || v === '' ? '-' : v;
}
