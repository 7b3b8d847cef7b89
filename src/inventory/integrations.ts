/**
 * The pattern inferrer (src/patterns) and the memory estimator (src/memory), as the inventory uses them.
 * INTEGRATION POINT: everything the inventory needs from those stages goes through this file.
 */
import type { RdbHandler } from '../decode/model.js';
import { UserError } from '../errors.js';
import { MemoryEstimator, type AllocatorName } from '../memory/index.js';
import { MODEL_NAMES, type MemoryModelName } from '../memory/layout.js';
import { PatternInferrer } from '../patterns/index.js';

export interface KeyPatterns {
  infer(key: Uint8Array): string;
  /** [from, to] pairs, applied in order at the end of a load. */
  foldings(): Array<[string, string]>;
}

export interface KeyMemory {
  /** Must be tee'd before the row builder so that lastKeyBytes() is current in endKey. */
  readonly handler: RdbHandler;
  lastKeyBytes(): number;
  /** The model used (settled at the first key when chosen from the dump). */
  model(): string;
  verified(): boolean;
  allocator(): AllocatorName;
}

/** The pattern inferrer with the user's --pattern values (throws UserError for a bad one). */
export function makePatterns(userPatterns: string[]): KeyPatterns {
  return new PatternInferrer({ userPatterns });
}

/** Names accepted by --memory-model ('auto': from the dump's writer version). */
export const MEMORY_MODELS: readonly string[] = ['auto', ...MODEL_NAMES];

export function checkMemoryModel(model: string | null): void {
  if (model !== null && !MEMORY_MODELS.includes(model)) {
    throw new UserError(`--memory-model ${model}: unknown model (one of ${MEMORY_MODELS.join(', ')})`);
  }
}

/** The memory estimator for `model` (null or 'auto': chosen from the dump's writer version). */
export function makeMemory(model: string | null, allocator: AllocatorName, cluster?: boolean): KeyMemory {
  checkMemoryModel(model);
  const est = new MemoryEstimator({ model: (model ?? 'auto') as MemoryModelName | 'auto', allocator, cluster });
  return {
    handler: est,
    lastKeyBytes: () => est.lastKeyBytes,
    model: () => est.model,
    verified: () => est.verified,
    allocator: () => est.allocator,
  };
}
