/** A one-line progress display on stderr (TTY only): bytes, keys, rate, ETA. */

/** Bytes in binary units, labelled as such (KiB = 1,024 bytes, MiB, GiB, TiB). */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}

export interface ProgressSource {
  bytesDone(): number;
  /** Total bytes, or null when unknown (stdin, gzip). */
  bytesTotal(): number | null;
  keys(): number;
  active(): number;
}

export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private shown = false;

  constructor(
    private readonly src: ProgressSource,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  start(): void {
    if (!this.out.isTTY) return;
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  private draw(): void {
    const secs = (Date.now() - this.started) / 1000;
    const done = this.src.bytesDone();
    const total = this.src.bytesTotal();
    const keys = this.src.keys();
    const rate = secs > 0 ? keys / secs : 0;
    let line = `indexing (${this.src.active()} active): ${humanBytes(done)}`;
    if (total !== null && total > 0) {
      line += ` / ${humanBytes(total)} (${Math.min(100, (100 * done) / total).toFixed(0)}%)`;
    }
    line += `  ${keys.toLocaleString('en-US')} keys  ${Math.round(rate).toLocaleString('en-US')} keys/s`;
    if (total !== null && done > 0 && secs > 1) line += `  ETA ${duration(((total - done) * secs) / done)}`;
    this.out.write(`\r${line}\x1b[K`);
    this.shown = true;
  }

  /** A one-off status line (TTY only), cleared by the next draw or stop(). */
  note(text: string): void {
    if (!this.out.isTTY) return;
    this.out.write(`\r${text}\x1b[K`);
    this.shown = true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
