/**
 * The decoding thread of `rdbscope index`, one dump per job message: reports the dump's size and whether it is
 * gzip, waits for the writer's go (the writer hashes the file: see hash.ts), then parses the dump and posts its
 * rows in batches. At most `maxInFlight` batches wait in the writer's queue: beyond that this thread blocks
 * (bounded memory when SQLite is the slower side).
 */
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { tee } from '../decode/tee.js';
import { parseOpened } from '../decode/index.js';
import { openLive } from '../live/source.js';
import { UserError } from '../errors.js';
import {
  DECISION_GO, SHARED_DECISION, SHARED_IN_FLIGHT, type WorkerInput, type WorkerMessage,
} from './batch.js';
import { loadParseFile } from './decoder.js';
import { makeMemory, makePatterns } from './integrations.js';
import { transferList, type PackedBatch } from './pack.js';
import { COMPRESS_SAMPLE_BYTES, RowBuilder } from './rows.js';
import { openPart, removePart, type Db } from './db.js';
import { InventoryWriter } from './writer.js';

const port = parentPort!;

function post(m: WorkerMessage): void {
  port.postMessage(m, m.kind === 'keys' ? transferList(m.batch) : []);
}

/** Size of a file, and whether it is gzip (its first two bytes). */
function identify(path: string): { size: number; gzip: boolean } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return { size: fstatSync(fd).size, gzip: n === 2 && head[0] === 0x1f && head[1] === 0x8b };
  } finally {
    closeSync(fd);
  }
}

function waitForRoom(shared: Int32Array, max: number): void {
  for (;;) {
    const n = Atomics.load(shared, SHARED_IN_FLIGHT);
    if (n < max) return;
    trace(`wait ${n}`);
    Atomics.wait(shared, SHARED_IN_FLIGHT, n, 1000);
  }
}

/** RDBSCOPE_TRACE=FILE: the stages of each job appended to FILE (to tell where a slow or stuck load is). */
const TRACE = process.env.RDBSCOPE_TRACE;
function trace(msg: string): void {
  if (TRACE) appendFileSync(TRACE, `${Date.now()} ${msg} rss=${Math.round(process.memoryUsage().rss / 1048576)}M\n`);
}

function runJob(input: WorkerInput): void {
  const shared = new Int32Array(input.shared);
  // A live server is connected to first: a refusal is an error before any snapshot exists.
  const live = input.live ? openLive(input.live) : null;
  if (input.path === '-' || live) post({ kind: 'identity', size: null, gzip: false });
  else post({ kind: 'identity', ...identify(input.path) });
  Atomics.wait(shared, SHARED_DECISION, 0);
  if (Atomics.load(shared, SHARED_DECISION) !== DECISION_GO) {
    live?.source.close();
    return;
  }

  trace(`start ${input.path}`);
  const parseFile = loadParseFile();
  const patterns = makePatterns(input.patterns);
  const memory = makeMemory(input.memoryModel, input.allocator, input.cluster);
  // With a part file, this thread writes the rows itself (several dumps at a time, each on its own thread).
  let partDb: Db | null = null;
  let part: { writer: InventoryWriter; id: number } | null = null;
  if (input.part) {
    partDb = openPart(input.part.path);
    const writer = new InventoryWriter(partDb);
    part = { writer, id: writer.begin({ label: input.part.label, source: input.part.source, fileSize: null, sha256: null }, input.memoryModel) };
  }
  try {
    const builder: RowBuilder = new RowBuilder(input.batchSize, (batch: PackedBatch) => {
      if (part) {
        part.writer.insertBatch(part.id, batch, builder.ctimeMs());
        post({ kind: 'progress', keys: batch.n, offset: builder.offset });
        return;
      }
      waitForRoom(shared, input.maxInFlight);
      Atomics.add(shared, SHARED_IN_FLIGHT, 1);
      post({ kind: 'keys', batch, offset: builder.offset, ctimeMs: builder.ctimeMs() });
    }, patterns, memory, input.valuesSample ?? null);
    const parseOpts = { checksum: input.checksum, sampleBytes: COMPRESS_SAMPLE_BYTES, fieldNames: true };
    const summary = live ? parseOpened(live, tee(memory.handler, builder), parseOpts) : parseFile(input.path, tee(memory.handler, builder), parseOpts);
    trace('parsed');
    builder.flushRows();
    trace('flushed');
    const facts = builder.facts();
    trace('facts');
    if (part && partDb) {
      part.writer.finish(part.id, facts);
      partDb.close();
      partDb = null;
      post({ kind: 'done', facts, offset: summary.bytes, part: input.part!.path });
    } else {
      post({ kind: 'done', facts, offset: summary.bytes });
    }
    trace('posted');
  } catch (err) {
    if (partDb) {
      partDb.close();
      removePart(input.part!.path);
    }
    throw err;
  }
}

/** One job (a dump) per message, one after the other. */
port.on('message', (input: WorkerInput) => {
  try {
    runJob(input);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const user = e instanceof UserError || e.name === 'RdbError';
    if (!user && process.env.RDBSCOPE_DEBUG === '1') process.stderr.write(`${e.stack}\n`);
    const line = e.message.split('\n')[0] ?? String(e);
    post({ kind: 'error', message: user ? line : `${input.path}: internal error: ${line}`, user });
  }
});
