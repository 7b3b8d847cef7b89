/**
 * The sha256 of a dump file, computed on a thread of its own: while the dump is decoded (hashing 1 GB costs about
 * 0.7 s of CPU, which on the decoding thread would add straight to the time of an index), or before, when the
 * file may be a duplicate (see Indexer.mayBeDuplicate in run.ts).
 */
import { Worker } from 'node:worker_threads';

/** Plain CommonJS, run with `eval` so that it loads the same way from dist/ and under tsx. */
const HASH_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const fd = openSync(workerData.path, 'r');
try {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
  }
  parentPort.postMessage(hash.digest('hex'));
} finally {
  closeSync(fd);
}
`;

/** Resolves to the file's sha256 in hex; rejects with a one-line message when the file cannot be read. */
export function hashFileInThread(path: string): { result: Promise<string>; stop: () => void } {
  const w = new Worker(HASH_THREAD, { eval: true, workerData: { path } });
  w.unref();
  const result = new Promise<string>((resolve, reject) => {
    w.once('message', (hex: string) => resolve(hex));
    w.once('error', (e: Error) => reject(new Error(`${path}: could not read the file to hash it (${e.message.split('\n')[0]})`)));
    w.once('exit', (code) => reject(new Error(`${path}: hashing stopped (exit code ${code})`)));
  });
  result.catch(() => undefined); // observed by the caller when it needs the hash
  return { result, stop: () => void w.terminate() };
}
