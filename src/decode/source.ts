import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Gunzip } from 'fflate';
import { DecodeFault } from './errors.js';

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

/** Inflates a gzip stream (one or more members) with fflate, chunk by chunk, as the decoder pulls. */
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

/** Opens a path, or standard input for '-'. */
export function openInput(path: string): OpenedInput {
  if (path === '-') return sniff(new FdSource(0, false), '<stdin>', null);
  const fd = openSync(path, 'r');
  const st = fstatSync(fd);
  return sniff(new FdSource(fd, true), path, st.isFile() ? st.size : null);
}
