/**
 * For a regular file, the RDB checksum covers every byte before the 8-byte trailer, so it can be computed by a
 * second thread reading the same file, in parallel with parsing. If the dump's EOF is not where the file says
 * (an AOF with an RDB preamble, trailing bytes), the prefix is checksummed again inline at the end.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Crc64, crcHex } from './crc64.js';

/** Below this size a thread costs more than it saves. */
const MIN_BYTES = 8 << 20;

export interface ExternalCrc {
  /** The CRC of the first `eofEnd` bytes (the bytes through the EOF opcode), as 16 hex digits; null: not known. */
  crcUpTo(eofEnd: number): string | null;
  close(): void;
}

function workerUrl(): URL {
  const js = new URL('./crc-worker.js', import.meta.url);
  return existsSync(fileURLToPath(js)) ? js : new URL('./crc-worker.ts', import.meta.url);
}

function crcOfPrefix(path: string, end: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(4 << 20);
    const crc = new Crc64();
    for (let pos = 0; pos < end; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n === 0) break;
      crc.update(buf, 0, n);
      pos += n;
    }
    return crc.hex();
  } finally {
    closeSync(fd);
  }
}

/** Starts the checksum thread for a regular file of `size` bytes, or returns null when not worth it. */
export function startParallelCrc(path: string, size: number): ExternalCrc | null {
  if (size < MIN_BYTES) return null;
  const shared = new SharedArrayBuffer(16);
  const state = new Int32Array(shared);
  const expectedEnd = size - 8;
  let worker: Worker | null = new Worker(workerUrl(), { workerData: { path, end: expectedEnd, shared } });
  worker.unref();
  worker.on('error', () => Atomics.store(state, 0, 2));
  return {
    crcUpTo(eofEnd: number): string {
      if (eofEnd === expectedEnd) {
        // The thread's events cannot be delivered while this thread blocks, so rely on the shared state only:
        // wait while it makes progress; if it never started (it could not load) or stalls for 5 s, checksum
        // inline instead.
        let progress = -1;
        let deadline = 0;
        for (;;) {
          const s = Atomics.load(state, 0);
          if (s === 1) return crcHex(state[1]!, state[2]!);
          if (s === 2) break;
          const p = Atomics.load(state, 3);
          if (p !== progress) {
            progress = p;
            deadline = Date.now() + 5000;
          } else if (Date.now() > deadline) break;
          Atomics.wait(state, 0, s, 100);
        }
      }
      return crcOfPrefix(path, eofEnd);
    },
    close(): void {
      void worker?.terminate();
      worker = null;
    },
  };
}
