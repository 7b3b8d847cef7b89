/**
 * Bytes of one value kept aside while it streams by, for output that can only be written once the value is over
 * (a CSV cell that follows the memory column; base64 of a string found not to be UTF-8 at its end): held in
 * memory up to 1 MiB, beyond that in an unlinked temporary file (gone with the process, whatever happens).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IN_MEMORY = 1 << 20;

export class Spool {
  /** Held in memory until IN_MEMORY: strings as they came (text is joined, not re-encoded), bytes copied. */
  private mem: Array<string | Buffer> = [];
  private memBytes = 0;
  private fd: number | null = null;
  private fileBytes = 0;
  /** What is held: bytes, or characters for text still in memory. */
  size = 0;

  write(piece: Uint8Array | string): void {
    if (this.fd === null && this.memBytes + piece.length <= IN_MEMORY) {
      this.mem.push(typeof piece === 'string' ? piece : Buffer.from(piece)); // a copy: pieces are only valid during the call
      this.memBytes += piece.length;
      this.size += piece.length;
      return;
    }
    if (this.fd === null) {
      const dir = mkdtempSync(join(tmpdir(), 'rdbscope-value-'));
      const file = join(dir, 'value');
      this.fd = openSync(file, 'w+');
      unlinkSync(file);
      rmdirSync(dir);
      this.size = 0;
      for (const m of this.mem) this.append(typeof m === 'string' ? Buffer.from(m, 'utf8') : m);
      this.mem = [];
      this.memBytes = 0;
    }
    this.append(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece);
  }

  private append(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd!, b, off, b.length - off, this.fileBytes + off);
    this.fileBytes += b.length;
    this.size += b.length;
  }

  /** Calls `fn` with the bytes in order, in pieces of `piece` bytes (the last may be shorter). */
  read(fn: (b: Buffer) => void, piece = 64 * 1024): void {
    if (this.fd === null) {
      const all = Buffer.concat(this.mem.map((m) => (typeof m === 'string' ? Buffer.from(m, 'utf8') : m)));
      for (let i = 0; i < all.length; i += piece) fn(all.subarray(i, i + piece));
      return;
    }
    const buf = Buffer.alloc(piece);
    for (let pos = 0; pos < this.fileBytes;) {
      let n = 0;
      const want = Math.min(piece, this.fileBytes - pos);
      while (n < want) n += readSync(this.fd, buf, n, want - n, pos + n);
      fn(buf.subarray(0, n));
      pos += n;
    }
  }

  /** What is held, as one string (for what stayed small). */
  text(): string {
    if (this.fd === null && this.mem.every((m) => typeof m === 'string')) return this.mem.join('');
    const d = new TextDecoder();
    let s = '';
    this.read((b) => (s += d.decode(b, { stream: true })));
    return s + d.decode();
  }

  /** Empties it (and drops its file) for the next value. */
  reset(): void {
    this.close();
    this.memBytes = 0;
    this.fileBytes = 0;
    this.size = 0;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.mem = [];
  }
}
