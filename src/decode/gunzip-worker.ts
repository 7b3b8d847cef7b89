/**
 * Inflates a gzip file (or standard input) with Node's zlib on its own thread, into the ring buffer that
 * {@link ThreadedGunzipSource} reads on the decoding thread. Control words (Int32Array over `shared`):
 * [0] bytes written (mod 2^32), [1] bytes read by the decoder, [2] state (0 running, 1 done, 2 failed),
 * [3] closed by the reader, [4] length of the error message in `message`; with `crc`, set before the state
 * turns 1: [5] and [6] the CRC-64 (high, low words) of every inflated byte but the last 8 (an RDB's checksum covers
 * all bytes before its 8-byte trailer), [7] and [8] the number of inflated bytes (low 32 bits, the rest).
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { workerData } from 'node:worker_threads';
import { Crc64 } from './crc64.js';

const { path, prefix, shared, ring, message, crc: withCrc } = workerData as {
  path: string | null; prefix: Uint8Array; shared: SharedArrayBuffer; ring: SharedArrayBuffer; message: SharedArrayBuffer;
  crc: boolean;
};
const ctrl = new Int32Array(shared);
const data = new Uint8Array(ring);
const size = data.length;
let compressed = 0;
let finished = false;
let inflated = 0;

// The checksum is computed here, on this thread, rather than by the decoder: the last 8 bytes seen are held back,
// so that at the end the CRC covers every byte but the trailer.
const crc = withCrc ? new Crc64() : null;
let held = new Uint8Array(8);
let heldLen = 0;
function hash(chunk: Uint8Array): void {
  if (!crc) return;
  const total = heldLen + chunk.length;
  if (total <= 8) {
    held.set(chunk, heldLen);
    heldLen = total;
    return;
  }
  let n = total - 8;
  const fromHeld = Math.min(heldLen, n);
  crc.update(held, 0, fromHeld);
  n -= fromHeld;
  crc.update(chunk, 0, n);
  const next = new Uint8Array(8);
  next.set(held.subarray(fromHeld, heldLen));
  next.set(chunk.subarray(n), heldLen - fromHeld);
  held = next;
  heldLen = 8;
}

function fail(text: string): void {
  if (finished) return;
  finished = true;
  const bytes = new TextEncoder().encode(text).subarray(0, message.byteLength);
  new Uint8Array(message).set(bytes);
  ctrl[4] = bytes.length;
  Atomics.store(ctrl, 2, 2);
  Atomics.notify(ctrl, 0);
}

/** Copies a chunk into the ring, waiting for the reader to make room. Returns false once the reader closed. */
function put(chunk: Uint8Array): boolean {
  let off = 0;
  while (off < chunk.length) {
    const w = Atomics.load(ctrl, 0) >>> 0;
    const r = Atomics.load(ctrl, 1) >>> 0;
    const free = size - ((w - r) >>> 0);
    if (Atomics.load(ctrl, 3) === 1) return false;
    if (free === 0) {
      Atomics.wait(ctrl, 1, r | 0, 1000);
      continue;
    }
    const at = w % size;
    const n = Math.min(free, chunk.length - off, size - at);
    data.set(chunk.subarray(off, off + n), at);
    off += n;
    Atomics.store(ctrl, 0, (w + n) | 0);
    Atomics.notify(ctrl, 0);
  }
  return true;
}

const input = path !== null ? createReadStream(path) : createReadStream('', { fd: 0, autoClose: false });
const gunzip = createGunzip({ chunkSize: 1 << 18 });
input.on('data', (c) => { compressed += c.length; });
input.on('error', (e) => fail(e.message));
gunzip.on('data', (chunk: Buffer) => {
  hash(chunk);
  inflated += chunk.length;
  if (!put(chunk)) { input.destroy(); gunzip.destroy(); }
});
gunzip.on('error', (e) => fail(`near compressed byte ${compressed + prefix.length}: ${e.message}`));
gunzip.on('end', () => {
  if (finished) return;
  finished = true;
  if (crc) {
    [ctrl[5], ctrl[6]] = crc.words();
    ctrl[7] = inflated % 2 ** 32;
    ctrl[8] = Math.floor(inflated / 2 ** 32);
  }
  Atomics.store(ctrl, 2, 1);
  Atomics.notify(ctrl, 0);
});
if (prefix.length > 0) gunzip.write(prefix);
input.pipe(gunzip);
