import { writeSync } from 'node:fs';

/** Buffered synchronous writes to a file descriptor (stdout by default), flushed in 64 KiB pieces. */
export class OutputSink {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd = 1) {}

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 65536) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const data = Buffer.from(this.parts.length === 1 ? this.parts[0]! : this.parts.join(''));
    this.parts = [];
    this.size = 0;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off, data.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      }
    }
  }
}
