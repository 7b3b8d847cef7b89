/**
 * The decoding thread of `rdbscope index`, one dump per job message: reports the dump's identity (hashing it
 * first only when the writer asks: see WorkerInput.hashFirst), waits for the writer's go, then parses the dump
 * and posts its rows in batches. At most `maxInFlight` batches wait in the writer's queue: beyond that this
 * thread blocks (bounded memory when SQLite is the slower side).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { tee } from '../decode/tee.js';
import { UserError } from '../errors.js';
import {
  DECISION_GO, SHARED_DECISION, SHARED_IN_FLIGHT, type WorkerInput, type WorkerMessage,
} from './batch.js';
import { loadParseFile } from './decoder.js';
import { makeMemory, makePatterns } from './integrations.js';
import { transferList, type PackedBatch } from './pack.js';
import { COMPRESS_SAMPLE_BYTES, RowBuilder } from './rows.js';

const port = parentPort!;

function post(m: WorkerMessage): void {
  port.postMessage(m, m.kind === 'keys' ? transferList(m.batch) : []);
}

/** Size of a file, whether it is gzip, and its sha256 when `hash` (read in 1 MiB chunks), else null. */
function identify(path: string, hash: boolean): { sha256: string | null; size: number; gzip: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const h = hash ? createHash('sha256') : null;
    const buf = Buffer.allocUnsafe(hash ? 1 << 20 : 2);
    let gzip = false;
    let first = true;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      if (first) gzip = n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
      first = false;
      if (!h) break;
      h.update(buf.subarray(0, n));
    }
    return { sha256: h ? h.digest('hex') : null, size, gzip };
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
  if (TRACE) appendFileSync(TRACE, `${Date.now()} ${msg}\n`);
}

function runJob(input: WorkerInput): void {
  const shared = new Int32Array(input.shared);
  if (input.path === '-') post({ kind: 'identity', sha256: null, size: null, gzip: false });
  else post({ kind: 'identity', ...identify(input.path, input.hashFirst) });
  Atomics.wait(shared, SHARED_DECISION, 0);
  if (Atomics.load(shared, SHARED_DECISION) !== DECISION_GO) return;

  trace(`start ${input.path}`);
  const parseFile = loadParseFile();
  const patterns = makePatterns(input.patterns);
  const memory = makeMemory(input.memoryModel);
  const builder: RowBuilder = new RowBuilder(input.batchSize, (batch: PackedBatch) => {
    waitForRoom(shared, input.maxInFlight);
    Atomics.add(shared, SHARED_IN_FLIGHT, 1);
    post({ kind: 'keys', batch, offset: builder.offset });
  }, patterns, memory);
  const summary = parseFile(input.path, tee(memory.handler, builder), { checksum: input.checksum, sampleBytes: COMPRESS_SAMPLE_BYTES, fieldNames: true });
  trace('parsed');
  builder.flushRows();
  trace('flushed');
  const facts = builder.facts();
  trace('facts');
  post({ kind: 'done', facts, offset: summary.bytes });
  trace('posted');
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
