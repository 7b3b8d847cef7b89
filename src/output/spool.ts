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
  private mem: Buffer[] = [];
  private memBytes = 0;
  private fd: number | null = null;
  private fileBytes = 0;
  /** Bytes held. */
  size = 0;

  write(piece: Uint8Array | string): void {
    const b = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    this.size += b.length;
    if (this.fd === null && this.memBytes + b.length <= IN_MEMORY) {
      this.mem.push(Buffer.from(b)); // a copy: pieces are only valid during the parser's call
      this.memBytes += b.length;
      return;
    }
    if (this.fd === null) {
      const dir = mkdtempSync(join(tmpdir(), 'rdbscope-value-'));
      const file = join(dir, 'value');
      this.fd = openSync(file, 'w+');
      unlinkSync(file);
      rmdirSync(dir);
      for (const m of this.mem) this.append(m);
      this.mem = [];
      this.memBytes = 0;
    }
    this.append(b);
  }

  private append(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd!, b, off, b.length - off, this.fileBytes + off);
    this.fileBytes += b.length;
  }

  /** Calls `fn` with the bytes in order, in pieces of `piece` bytes (the last may be shorter). */
  read(fn: (b: Buffer) => void, piece = 64 * 1024): void {
    if (this.fd === null) {
      const all = Buffer.concat(this.mem);
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

  /** The bytes as one string (for what stayed small). */
  text(): string {
    const d = new TextDecoder();
    let s = '';
    this.read((b) => (s += d.decode(b, { stream: true })));
    return s + d.decode();
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.mem = [];
  }
}
