/**
 * Append-only files of JSON lines (backups, journals): every record is whole or absent. Opening one for appending
 * first cuts a torn tail (the bytes after the last newline: a record whose write a crash or a full disk
 * interrupted; its command was never sent, since records are on disk before their command goes out). An append
 * that fails part-way cuts the file back to where it was, then reports the failure. Every append is fsync'd.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { UserError } from '../errors.js';

export class AppendLog {
  private readonly fd: number;
  private size: number;
  /** Bytes of a torn last record cut when the file was opened (0: none). */
  readonly cut: number;

  private constructor(readonly path: string, fd: number, size: number, cut: number) {
    this.fd = fd;
    this.size = size;
    this.cut = cut;
  }

  /** Opens (creating when missing) `path` for appending; `what` names the file in errors ("backup file"). */
  static open(path: string, what: string): AppendLog {
    let fd: number;
    try {
      fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    } catch (err) {
      throw new UserError(`${path}: cannot open the ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const size = fstatSync(fd).size;
    const whole = wholeLength(fd, size);
    if (whole < size) {
      ftruncateSync(fd, whole);
      fsyncSync(fd);
    }
    return new AppendLog(path, fd, whole, size - whole);
  }

  /** Whether the file holds nothing (new, or only a torn first record). */
  get empty(): boolean {
    return this.size === 0;
  }

  /** Appends the lines (each a JSON record) and returns once they are on disk. */
  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const b = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
    let off = 0;
    try {
      while (off < b.length) off += writeSync(this.fd, b, off, b.length - off, this.size + off);
      fsyncSync(this.fd);
    } catch (err) {
      // a full disk or an I/O error part-way: no torn record stays behind
      try {
        ftruncateSync(this.fd, this.size);
        fsyncSync(this.fd);
      } catch {
        // the next open cuts the torn tail
      }
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new UserError(`${this.path}: cannot write (${code}); nothing of this batch was kept, and its commands were not sent`);
    }
    this.size += b.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The length of the file's whole lines: up to and including its last newline. */
function wholeLength(fd: number, size: number): number {
  const buf = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - buf.length);
    const n = readSync(fd, buf, 0, end - start, start);
    const i = buf.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return 0;
}
