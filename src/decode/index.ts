/**
 * The decoder's entry points: a path (or '-' for stdin) or in-memory chunks in, handler callbacks out.
 * Gzip is recognized by its magic bytes; an AOF with an RDB preamble is decoded up to the RDB's EOF.
 */
import { DecodeFault, RdbError } from './errors.js';
import type { DumpSummary, RdbHandler } from './model.js';
import { parseStream, type ParseOptions } from './parser.js';
import { startParallelCrc } from './parallel-crc.js';
import { ChunkSource, openInput, sniff, ThreadedGunzipSource, type OpenedInput } from './source.js';

export { RdbError } from './errors.js';
export type { ParseOptions } from './parser.js';
export type * from './model.js';

function run(input: OpenedInput, handler: RdbHandler, opts: ParseOptions): DumpSummary {
  try {
    return parseStream(input.source, handler, opts, input.gzip ? null : input.fileSize);
  } catch (e) {
    if (e instanceof DecodeFault) throw new RdbError(input.name, e.offset, `expected ${e.expected}`);
    if (e instanceof RangeError) throw new RdbError(input.name, -1, `expected a value the decoder can hold (${e.message})`);
    throw e;
  } finally {
    input.source.close();
  }
}

/** Decodes an input opened elsewhere (a live server's snapshot: src/live); closes it when done. */
export function parseOpened(input: OpenedInput, handler: RdbHandler, opts: ParseOptions = {}): DumpSummary {
  return run(input, handler, opts);
}

/** Decodes the RDB at `path` ('-' for standard input). Synchronous; throws {@link RdbError} on bad input. */
export function parseFile(path: string, handler: RdbHandler, opts: ParseOptions = {}): DumpSummary {
  let input: OpenedInput;
  try {
    input = openInput(path, opts.checksum !== false && !opts.externalCrc);
  } catch (e) {
    throw new RdbError(path, 0, `expected a readable file (${(e as Error).message})`);
  }
  const external = opts.checksum === false || opts.externalCrc ? null
    : input.source instanceof ThreadedGunzipSource ? (input.source.crc ? input.source.checksum() : null)
    : !input.gzip && input.fileSize !== null ? startParallelCrc(path, input.fileSize) : null;
  try {
    return run(input, handler, external ? { ...opts, externalCrc: external } : opts);
  } finally {
    external?.close();
  }
}

/** Decodes an RDB given as chunks (tests split inputs at every offset with this). */
export function parseChunks(
  chunks: Iterable<Uint8Array>,
  handler: RdbHandler,
  opts: ParseOptions & { name?: string } = {},
): DumpSummary {
  const list = Array.from(chunks);
  const size = list.reduce((n, c) => n + c.length, 0);
  const input = sniff(new ChunkSource(list), opts.name ?? '<buffer>', size);
  return run(input, handler, opts);
}
