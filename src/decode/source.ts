import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { Gunzip } from 'fflate';
import { Crc64, crcHex } from './crc64.js';
import { DecodeFault } from './errors.js';
import type { ExternalCrc } from './parallel-crc.js';
import { startWorker } from '../worker-start.js';

/** A synchronous pull source of bytes: the decoder asks for more only when it needs them (natural backpressure). */
export interface ByteSource {
  /** Reads up to `len` bytes into `buf` at `off`; returns 0 at the end of input. */
  read(buf: Uint8Array, off: number, len: number): number;
  close(): void;
}

/** Sleeps without spinning, for a non-blocking stdin that has no data yet. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class FdSource implements ByteSource {
  constructor(
    private readonly fd: number,
    private readonly owned: boolean,
  ) {}

  read(buf: Uint8Array, off: number, len: number): number {
    for (;;) {
      try {
        return readSync(this.fd, buf, off, len, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') pause(2);
        else if (code === 'EOF') return 0;
        else throw e;
      }
    }
  }

  close(): void {
    if (this.owned) closeSync(this.fd);
  }
}

/** Bytes already read (to sniff the format) served before the rest of the inner source. */
class PrefixSource implements ByteSource {
  private pos = 0;
  constructor(
    private readonly prefix: Uint8Array,
    private readonly inner: ByteSource,
  ) {}

  read(buf: Uint8Array, off: number, len: number): number {
    if (this.pos < this.prefix.length) {
      const n = Math.min(len, this.prefix.length - this.pos);
      buf.set(this.prefix.subarray(this.pos, this.pos + n), off);
      this.pos += n;
      return n;
    }
    return this.inner.read(buf, off, len);
  }

  close(): void {
    this.inner.close();
  }
}

/** In-memory chunks, in order (tests split inputs at every offset with this). */
export class ChunkSource implements ByteSource {
  private index = 0;
  private pos = 0;
  private readonly list: Uint8Array[];

  constructor(chunks: Iterable<Uint8Array>) {
    this.list = Array.from(chunks);
  }

  read(buf: Uint8Array, off: number, len: number): number {
    while (this.index < this.list.length) {
      const c = this.list[this.index]!;
      if (this.pos < c.length) {
        const n = Math.min(len, c.length - this.pos);
        buf.set(c.subarray(this.pos, this.pos + n), off);
        this.pos += n;
        return n;
      }
      this.index++;
      this.pos = 0;
    }
    return 0;
  }

  close(): void {}
}

/** Inflates gzip input held in memory (parseBuffer, tests) with fflate, chunk by chunk, as the decoder pulls; files
 * and standard input go through {@link ThreadedGunzipSource}. */
export class GunzipSource implements ByteSource {
  private readonly queue: Uint8Array[] = [];
  private head = 0;
  private done = false;
  private readonly inflater: Gunzip;
  private readonly input = new Uint8Array(1 << 16);
  /** Compressed bytes consumed and uncompressed bytes handed out so far (for error messages). */
  compressedOffset = 0;
  private produced = 0;

  constructor(private readonly inner: ByteSource) {
    this.inflater = new Gunzip((data) => {
      if (data.length > 0) this.queue.push(data);
    });
  }

  read(buf: Uint8Array, off: number, len: number): number {
    while (this.queue.length === 0) {
      if (this.done) return 0;
      const n = this.inner.read(this.input, 0, this.input.length);
      this.compressedOffset += n;
      try {
        if (n === 0) {
          this.inflater.push(new Uint8Array(0), true);
          this.done = true;
        } else {
          this.inflater.push(this.input.slice(0, n));
        }
      } catch (e) {
        throw new DecodeFault(this.produced, `valid gzip data (near compressed byte ${this.compressedOffset}: ${(e as Error).message})`);
      }
    }
    const c = this.queue[0]!;
    const n = Math.min(len, c.length - this.head);
    buf.set(c.subarray(this.head, this.head + n), off);
    this.head += n;
    this.produced += n;
    if (this.head === c.length) {
      this.queue.shift();
      this.head = 0;
    }
    return n;
  }

  close(): void {
    this.inner.close();
  }
}

/** Bytes of inflated data buffered between the inflating thread and the decoder. */
const RING_BYTES = 8 << 20;

/**
 * Inflates a gzip file or standard input with Node's zlib (native code) on another thread
 * (gunzip-worker.ts), so that the decoding thread only copies inflated bytes out of a shared ring buffer.
 * `prefix`: bytes of standard input already read to sniff the format. With `crc`, the inflating thread also
 * computes the dump's checksum ({@link checksum}), which then costs the decoding thread nothing.
 */
export class ThreadedGunzipSource implements ByteSource {
  private readonly ctrl: Int32Array;
  private readonly data: Uint8Array;
  private readonly message: SharedArrayBuffer;
  private readonly worker: Worker;
  private readPos = 0;
  private produced = 0;

  constructor(
    private readonly path: string | null,
    prefix: Uint8Array,
    /** Whether the inflating thread computes the checksum (see {@link checksum}). */
    readonly crc = false,
  ) {
    const shared = new SharedArrayBuffer(64);
    const ring = new SharedArrayBuffer(RING_BYTES);
    this.message = new SharedArrayBuffer(512);
    this.ctrl = new Int32Array(shared);
    this.data = new Uint8Array(ring);
    this.worker = startWorker(import.meta.url, 'gunzip-worker', { workerData: { path, prefix, shared, ring, message: this.message, crc: this.crc } });
    this.worker.unref();
    this.worker.on('error', (e) => {
      // Delivered only while the decoder is not blocked; the state word is what read() relies on.
      const bytes = new TextEncoder().encode(e.message).subarray(0, 512);
      new Uint8Array(this.message).set(bytes);
      this.ctrl[4] = bytes.length;
      Atomics.store(this.ctrl, 2, 2);
    });
  }

  read(buf: Uint8Array, off: number, len: number): number {
    const ctrl = this.ctrl;
    let avail: number;
    for (;;) {
      const w = Atomics.load(ctrl, 0) >>> 0;
      avail = (w - this.readPos) >>> 0;
      if (avail > 0) break;
      const state = Atomics.load(ctrl, 2);
      if (state !== 0 && ((Atomics.load(ctrl, 0) >>> 0) - this.readPos) >>> 0 === 0) {
        if (state === 1) return 0;
        const text = new TextDecoder().decode(new Uint8Array(this.message, 0, ctrl[4]!));
        throw new DecodeFault(this.produced, `valid gzip data (${text})`);
      }
      Atomics.wait(ctrl, 0, w | 0, 200);
    }
    const size = this.data.length;
    const at = this.readPos % size;
    const n = Math.min(len, avail, size - at);
    buf.set(this.data.subarray(at, at + n), off);
    this.readPos = (this.readPos + n) >>> 0;
    this.produced += n;
    Atomics.store(ctrl, 1, this.readPos | 0);
    Atomics.notify(ctrl, 1);
    return n;
  }

  /**
   * The checksum computed by the inflating thread (constructed with `crc`). It covers all inflated bytes but the
   * last 8, so it is the dump's when the RDB's trailer ends the data: `crcUpTo` waits for the end of the data,
   * and if more bytes follow the RDB (an AOF with an RDB preamble) the file is inflated again up to the EOF opcode,
   * on this thread. (Standard input cannot be read twice: its checksum is computed by the decoder, as for a plain
   * dump on standard input.)
   */
  checksum(): ExternalCrc {
    return {
      crcUpTo: (eofEnd: number): string | null => {
        const ctrl = this.ctrl;
        for (;;) {
          const pending = ((Atomics.load(ctrl, 0) >>> 0) - this.readPos) >>> 0;
          const state = Atomics.load(ctrl, 2);
          if (pending > 0 || state === 2) break; // data after the RDB, or a fault in it
          if (state === 1) {
            const total = (ctrl[7]! >>> 0) + (ctrl[8]! >>> 0) * 2 ** 32;
            if (total - 8 === eofEnd) return crcHex(ctrl[5]!, ctrl[6]!);
            break;
          }
          Atomics.wait(ctrl, 0, Atomics.load(ctrl, 0), 200);
        }
        return this.path === null ? null : crcOfGzipPrefix(this.path, eofEnd);
      },
      close: () => undefined,
    };
  }

  close(): void {
    Atomics.store(this.ctrl, 3, 1);
    Atomics.notify(this.ctrl, 1);
    void this.worker.terminate();
  }
}

/** The CRC-64 of the first `end` bytes inflated from the gzip file at `path`. */
function crcOfGzipPrefix(path: string, end: number): string {
  const fd = openSync(path, 'r');
  try {
    const crc = new Crc64();
    let done = 0;
    const inflater = new Gunzip((data) => {
      const n = Math.min(data.length, end - done);
      if (n > 0) crc.update(data, 0, n);
      done += n;
    });
    const buf = new Uint8Array(1 << 20);
    for (let n; done < end && (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) inflater.push(buf.subarray(0, n));
    return crc.hex();
  } finally {
    closeSync(fd);
  }
}

export interface OpenedInput {
  readonly source: ByteSource;
  /** The name used in messages. */
  readonly name: string;
  /** Size of the file as given (compressed size for gzip), when known. */
  readonly fileSize: number | null;
  readonly gzip: boolean;
}

/** Reads the first bytes of `inner`, and wraps it in a gunzip stage when they are the gzip magic (1f 8b). */
export function sniff(inner: ByteSource, name: string, fileSize: number | null): OpenedInput {
  const head = new Uint8Array(2);
  let got = 0;
  while (got < 2) {
    const n = inner.read(head, got, 2 - got);
    if (n === 0) break;
    got += n;
  }
  const prefixed = new PrefixSource(head.subarray(0, got), inner);
  const gzip = got === 2 && head[0] === 0x1f && head[1] === 0x8b;
  return { source: gzip ? new GunzipSource(prefixed) : prefixed, name, fileSize, gzip };
}

/**
 * Opens a path, or standard input for '-'. Gzip input is inflated by zlib on another thread, which also computes
 * a gzip file's checksum when `crc` is set (see {@link ThreadedGunzipSource.checksum}).
 */
export function openInput(path: string, crc = false): OpenedInput {
  const stdin = path === '-';
  const fd = stdin ? 0 : openSync(path, 'r');
  const st = fstatSync(fd);
  const name = stdin ? '<stdin>' : path;
  const fileSize = !stdin && st.isFile() ? st.size : null;
  const head = new Uint8Array(2);
  let got = 0;
  const raw = new FdSource(fd, !stdin);
  while (got < 2) {
    const n = raw.read(head, got, 2 - got);
    if (n === 0) break;
    got += n;
  }
  if (got === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    // The thread reads the file itself from its start, or the rest of standard input after these two bytes.
    if (!stdin) raw.close();
    return { source: new ThreadedGunzipSource(stdin ? null : path, stdin ? head : new Uint8Array(0), crc && !stdin), name, fileSize, gzip: true };
  }
  return { source: new PrefixSource(head.subarray(0, got), raw), name, fileSize, gzip: false };
}
