/**
 * Computes the CRC-64 of a file's first `end` bytes on the second core while the decoder parses the same file on
 * the first. Shared Int32Array: [state (0 not started, 3 running, 1 done, 2 failed), high, low, MiB done].
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Crc64 } from './crc64.js';

const { path, end, shared } = workerData as { path: string; end: number; shared: SharedArrayBuffer };
const state = new Int32Array(shared);
Atomics.store(state, 0, 3);
try {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(4 << 20);
  const crc = new Crc64();
  let pos = 0;
  while (pos < end) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) throw new Error('short read');
    crc.update(buf, 0, n);
    pos += n;
    Atomics.store(state, 3, Math.floor(pos / 1048576));
  }
  closeSync(fd);
  const [hi, lo] = crc.words();
  state[1] = hi;
  state[2] = lo;
  Atomics.store(state, 0, 1);
} catch {
  Atomics.store(state, 0, 2);
}
Atomics.notify(state, 0);
