/**
 * A live server as a decoder input: {@link openLive} starts the pulling thread (pull-worker.ts), waits for the
 * handshake (so that a refusal is an error before any snapshot exists) and returns a {@link ByteSource} that reads
 * the snapshot's bytes out of the shared ring as the decoder asks for them.
 */
import { writeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { DecodeFault } from '../decode/errors.js';
import type { ByteSource, OpenedInput } from '../decode/source.js';
import { UserError } from '../errors.js';
import { startWorker } from '../worker-start.js';
import type { PullInput } from './pull-worker.js';
import {
  C_CLOSED, C_DRAWN, C_MESSAGE, C_READ, C_STATE, C_WRITTEN, F_RECEIVED, F_TOTAL, newRing, S_DONE, S_HANDSHAKE, S_LOST,
  S_REFUSED, type RingBuffers,
} from './ring.js';
import type { LiveTarget } from './url.js';

export interface LiveSpec {
  target: LiveTarget;
  allowPrimary: boolean;
  /** A progress line with the bytes received, on a terminal (index draws its own). */
  progress: boolean;
  /** Seconds without a byte from the server before the pull gives up (default 120). */
  idleSeconds?: number;
}

export class LiveSource implements ByteSource {
  private readonly ctrl: Int32Array;
  private readonly nums: Float64Array;
  private readonly data: Uint8Array;
  private readonly worker: Worker;
  private readPos = 0;
  private produced = 0;
  private closed = false;

  constructor(spec: LiveSpec, private readonly ring: RingBuffers = newRing()) {
    this.ctrl = new Int32Array(ring.control);
    this.nums = new Float64Array(ring.control, 32, 2);
    this.data = new Uint8Array(ring.ring);
    const input: PullInput = { ...ring, target: spec.target, allowPrimary: spec.allowPrimary, progress: spec.progress, idleSeconds: spec.idleSeconds ?? 120 };
    this.worker = startWorker(import.meta.url, 'pull-worker', { workerData: input });
    this.worker.unref();
    this.worker.on('error', (e) => {
      if (Atomics.load(this.ctrl, C_STATE) <= 1) this.fail(`the pulling thread stopped: ${e.message}`);
    });
  }

  private fail(text: string): void {
    const bytes = new TextEncoder().encode(text).subarray(0, this.ring.message.byteLength);
    new Uint8Array(this.ring.message).set(bytes);
    this.ctrl[C_MESSAGE] = bytes.length;
    Atomics.store(this.ctrl, C_STATE, Atomics.load(this.ctrl, C_STATE) === S_HANDSHAKE ? S_REFUSED : S_LOST);
    Atomics.notify(this.ctrl, C_STATE);
    Atomics.notify(this.ctrl, C_WRITTEN);
  }

  private message(): string {
    return new TextDecoder().decode(new Uint8Array(this.ring.message, 0, this.ctrl[C_MESSAGE]));
  }

  /** Blocks until the server has started sending the snapshot; throws the one-line refusal otherwise. */
  waitForStart(): void {
    while (Atomics.load(this.ctrl, C_STATE) === S_HANDSHAKE) Atomics.wait(this.ctrl, C_STATE, S_HANDSHAKE, 500);
    if (Atomics.load(this.ctrl, C_STATE) === S_REFUSED) {
      const text = this.message();
      this.close();
      throw new UserError(text, 1);
    }
  }

  /** Payload bytes the server announced (null with the diskless framing, whose size is not known in advance). */
  get total(): number | null {
    const t = this.nums[F_TOTAL]!;
    return t >= 0 ? t : null;
  }

  get received(): number {
    return this.nums[F_RECEIVED]!;
  }

  read(buf: Uint8Array, off: number, len: number): number {
    const ctrl = this.ctrl;
    let avail: number;
    for (;;) {
      const w = Atomics.load(ctrl, C_WRITTEN) >>> 0;
      avail = (w - this.readPos) >>> 0;
      if (avail > 0) break;
      const state = Atomics.load(ctrl, C_STATE);
      if (state >= S_DONE && ((Atomics.load(ctrl, C_WRITTEN) >>> 0) - this.readPos) >>> 0 === 0) {
        if (state === S_DONE) return 0;
        throw new DecodeFault(this.produced, this.message());
      }
      Atomics.wait(ctrl, C_WRITTEN, w | 0, 200);
    }
    const size = this.data.length;
    const at = this.readPos % size;
    const n = Math.min(len, avail, size - at);
    buf.set(this.data.subarray(at, at + n), off);
    this.readPos = (this.readPos + n) >>> 0;
    this.produced += n;
    Atomics.store(ctrl, C_READ, this.readPos | 0);
    Atomics.notify(ctrl, C_READ);
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, C_CLOSED, 1);
    Atomics.notify(this.ctrl, C_READ);
    // the pulling thread may be stopped before it clears its progress line: cleared here then
    if (Atomics.exchange(this.ctrl, C_DRAWN, 0) === 1) writeSync(2, '\r\x1b[K');
    void this.worker.terminate();
  }
}

/** Connects, checks and starts the transfer; the returned input is read like a file of unknown size. */
export function openLive(spec: LiveSpec): OpenedInput & { source: LiveSource } {
  const source = new LiveSource(spec);
  source.waitForStart();
  return { source, name: spec.target.source, fileSize: null, gzip: false };
}
