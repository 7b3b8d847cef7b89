/**
 * The pulling thread: connects to the server, authenticates, checks that it is a replica, asks for an RDB the way
 * a replica does (REPLCONF capa eof, REPLCONF rdb-only 1, SYNC) and copies the payload into the ring that the
 * decoder reads (ring.ts), for both framings: `$<len>` (a dump saved on the server's disk) and `$EOF:<40-byte
 * mark>` (diskless: the payload ends with the mark). Nothing is written to disk.
 */
import { writeSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { isatty } from 'node:tty';
import { workerData } from 'node:worker_threads';
import {
  C_CLOSED, C_DRAWN, C_MESSAGE, C_READ, C_STATE, C_WRITTEN, F_RECEIVED, F_TOTAL, S_DONE, S_LOST, S_REFUSED, S_STREAMING,
  type RingBuffers,
} from './ring.js';
import type { LiveTarget } from './url.js';

export interface PullInput extends RingBuffers {
  target: LiveTarget;
  allowPrimary: boolean;
  /** Draw a progress line on stderr (when it is a terminal). */
  progress: boolean;
  /** Seconds without any byte from the server before giving up. */
  idleSeconds: number;
}

const input = workerData as PullInput;
const ctrl = new Int32Array(input.control);
const nums = new Float64Array(input.control, 32, 2);
const data = new Uint8Array(input.ring);
const size = data.length;
const { target } = input;
const shown = target.source;
let finished = false;
let socket: Socket | null = null;

const EXPORT_HINT = 'export a backup instead: BGSAVE on the server (or a replica) and copy its dump.rdb, or use the ' +
  "managed service's backup export, then index that file";

function end(state: number, text: string): void {
  if (finished) return;
  finished = true;
  clearProgress();
  const bytes = new TextEncoder().encode(text).subarray(0, input.message.byteLength);
  new Uint8Array(input.message).set(bytes);
  ctrl[C_MESSAGE] = bytes.length;
  Atomics.store(ctrl, C_STATE, state);
  Atomics.notify(ctrl, C_WRITTEN);
  Atomics.notify(ctrl, C_STATE);
  socket?.destroy();
}

// --- progress ------------------------------------------------------------------------------------------------
const tty = input.progress && isatty(2);
let lastDraw = 0;
let drawn = false;
function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}
function drawProgress(force = false): void {
  if (!tty || Atomics.load(ctrl, C_CLOSED) === 1) return;
  const now = Date.now();
  if (!force && now - lastDraw < 250) return;
  lastDraw = now;
  const got = nums[F_RECEIVED]!;
  const total = nums[F_TOTAL]!;
  const of = total >= 0 ? ` / ${mib(total)} (${total > 0 ? Math.min(100, (100 * got) / total).toFixed(0) : 100}%)` : '';
  writeSync(2, `\rpulling ${shown}: ${mib(got)}${of} received\x1b[K`);
  drawn = true;
  Atomics.store(ctrl, C_DRAWN, 1);
}
function clearProgress(): void {
  if (drawn && Atomics.exchange(ctrl, C_DRAWN, 0) === 1) writeSync(2, '\r\x1b[K');
  drawn = false;
}

// --- the ring ------------------------------------------------------------------------------------------------
/** Copies a chunk into the ring, waiting for the decoder to make room. False once the decoder has closed. */
function put(chunk: Uint8Array): boolean {
  let off = 0;
  while (off < chunk.length) {
    if (Atomics.load(ctrl, C_CLOSED) === 1) return false;
    const w = Atomics.load(ctrl, C_WRITTEN) >>> 0;
    const r = Atomics.load(ctrl, C_READ) >>> 0;
    const free = size - ((w - r) >>> 0);
    if (free === 0) {
      Atomics.wait(ctrl, C_READ, r | 0, 250);
      drawProgress();
      continue;
    }
    const at = w % size;
    const n = Math.min(free, chunk.length - off, size - at);
    data.set(chunk.subarray(off, off + n), at);
    off += n;
    Atomics.store(ctrl, C_WRITTEN, (w + n) | 0);
    Atomics.notify(ctrl, C_WRITTEN);
  }
  nums[F_RECEIVED] = nums[F_RECEIVED]! + chunk.length;
  drawProgress();
  return true;
}

// --- replies during the handshake ----------------------------------------------------------------------------
let pending: Buffer = Buffer.alloc(0);
let wake: (() => void) | null = null;
let closedWith: string | null = null;

function onData(chunk: Buffer): void {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  wake?.();
}

async function more(): Promise<void> {
  if (closedWith !== null) throw new Error(closedWith);
  await new Promise<void>((resolve) => (wake = resolve));
  wake = null;
  if (closedWith !== null && pending.length === 0) throw new Error(closedWith);
}

/** One reply line without its CRLF; a handshake reply is short (at most 64 KiB before its end of line). */
async function line(skipNewlines = false): Promise<string> {
  for (;;) {
    if (skipNewlines) {
      let i = 0;
      while (i < pending.length && pending[i] === 0x0a) i++; // the keep-alive newlines a server sends while it saves
      if (i > 0) pending = pending.subarray(i);
    }
    const nl = pending.indexOf(0x0a);
    if (nl >= 0) {
      const text = pending.subarray(0, nl > 0 && pending[nl - 1] === 0x0d ? nl - 1 : nl).toString('latin1');
      pending = pending.subarray(nl + 1);
      return text;
    }
    if (pending.length > 65536) throw new Error('a reply line of over 64 KiB');
    await more();
  }
}

type Reply = { ok: true; text: string } | { ok: false; text: string };

async function reply(): Promise<Reply> {
  const l = await line();
  if (l.startsWith('+')) return { ok: true, text: l.slice(1) };
  if (l.startsWith('-')) return { ok: false, text: l.slice(1) };
  if (l.startsWith(':')) return { ok: true, text: l.slice(1) };
  if (l.startsWith('$')) {
    const n = Number(l.slice(1));
    if (n < 0) return { ok: true, text: '' };
    if (!Number.isInteger(n) || n > 16 << 20) throw new Error(`an unexpected reply '${l.slice(0, 40)}'`);
    while (pending.length < n + 2) await more();
    const text = pending.subarray(0, n).toString('latin1');
    pending = pending.subarray(n + 2);
    return { ok: true, text };
  }
  throw new Error(`an unexpected reply '${l.slice(0, 40)}'`);
}

function encode(args: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

async function command(...args: string[]): Promise<Reply> {
  socket!.write(encode(args));
  return reply();
}

// --- the payload ---------------------------------------------------------------------------------------------
/** Sized framing: exactly `total` bytes follow. */
function sized(total: number): (chunk: Buffer) => void {
  let left = total;
  return (chunk) => {
    const take = chunk.subarray(0, Math.min(left, chunk.length));
    left -= take.length;
    if (!put(take)) return end(S_DONE, '');
    if (left === 0) end(S_DONE, '');
  };
}

/** Diskless framing: the payload ends with the 40-byte mark, so the last 40 bytes seen are held back. */
function marked(mark: Buffer): (chunk: Buffer) => void {
  let tail: Buffer = Buffer.alloc(0);
  return (chunk) => {
    const all = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
    if (all.length < mark.length) {
      tail = all;
      return;
    }
    const cut = all.length - mark.length;
    tail = Buffer.from(all.subarray(cut));
    if (cut > 0 && !put(all.subarray(0, cut))) return end(S_DONE, '');
    if (tail.equals(mark)) end(S_DONE, '');
  };
}

function startStreaming(feed: (chunk: Buffer) => void): void {
  Atomics.store(ctrl, C_STATE, S_STREAMING);
  Atomics.notify(ctrl, C_STATE);
  const s = socket!;
  s.removeListener('data', onData);
  const rest = pending;
  pending = Buffer.alloc(0);
  if (rest.length > 0) feed(rest);
  if (finished) return;
  s.on('data', (chunk: Buffer) => {
    if (!finished) feed(chunk);
  });
}

function lostMessage(why: string): string {
  const got = nums[F_RECEIVED]!;
  const total = nums[F_TOTAL]!;
  const of = total >= 0 ? ` of ${total}` : '';
  return `the rest of the snapshot from ${shown} (${why} after ${got}${of} bytes of it)`;
}

async function handshake(): Promise<void> {
  const s = socket!;
  if (target.password !== undefined) {
    const r = target.username !== undefined ? await command('AUTH', target.username, target.password) : await command('AUTH', target.password);
    if (!r.ok) return end(S_REFUSED, `${shown}: authentication failed (${r.text})`);
  }
  const info = await command('INFO', 'replication');
  if (!info.ok) {
    if (/^NOAUTH/.test(info.text)) return end(S_REFUSED, `${shown}: the server needs a password (${info.text}); give it in the URL, REDISCLI_AUTH or RDBSCOPE_PASSWORD`);
    if (!input.allowPrimary) {
      return end(S_REFUSED, `${shown}: cannot tell whether the server is a replica (INFO refused: ${info.text}); a full sync costs a primary a fork: pass --allow-primary to pull anyway`);
    }
  } else {
    const role = /^role:(\w+)/m.exec(info.text)?.[1];
    if (role === 'master' && !input.allowPrimary) {
      return end(S_REFUSED, `${shown} is a primary (role:master): point rdbscope at a replica, or pass --allow-primary (a full sync costs the primary a fork and the memory its pages copied)`);
    }
  }
  const capa = await command('REPLCONF', 'capa', 'eof');
  if (!capa.ok) return refusedSync(`REPLCONF refused: ${capa.text}`);
  // rdb-only (Redis 7.0 on): the server sends the RDB and no replication stream after it; older ones refuse it.
  await command('REPLCONF', 'rdb-only', '1');
  s.write('SYNC\r\n');
  let head: string;
  try {
    head = await line(true);
  } catch (e) {
    return refusedSync(`the connection was closed on SYNC: ${(e as Error).message}`);
  }
  if (head.startsWith('-')) return refusedSync(head.slice(1));
  const eof = /^\$EOF:(.{40})$/.exec(head);
  if (eof) {
    nums[F_TOTAL] = -1;
    return startStreaming(marked(Buffer.from(eof[1]!, 'latin1')));
  }
  const len = /^\$(\d+)$/.exec(head);
  if (len) {
    const total = Number(len[1]);
    nums[F_TOTAL] = total;
    if (total === 0) return end(S_DONE, '');
    return startStreaming(sized(total));
  }
  return refusedSync(`an unexpected reply '${head.slice(0, 40)}'`);
}

function refusedSync(why: string): void {
  end(S_REFUSED, `${shown} refused to send a snapshot over replication (SYNC: ${why}); ${EXPORT_HINT}`);
}

function main(): void {
  const onConnectError = (e: Error): void => {
    const state = Atomics.load(ctrl, C_STATE);
    if (state === S_STREAMING) end(S_LOST, lostMessage(`the connection failed: ${e.message}`));
    else end(S_REFUSED, `cannot connect to ${shown}: ${e.message}`);
  };
  const s = target.tls
    ? tlsConnect({ host: target.host, port: target.port, servername: /^[\d.:]+$/.test(target.host) ? undefined : target.host, ca: target.ca })
    : netConnect({ host: target.host, port: target.port });
  socket = s;
  s.setNoDelay(true);
  s.setTimeout(input.idleSeconds * 1000);
  s.on('timeout', () => {
    const state = Atomics.load(ctrl, C_STATE);
    if (state === S_STREAMING) end(S_LOST, lostMessage(`no data for ${input.idleSeconds} s`));
    else end(S_REFUSED, `${shown}: no answer for ${input.idleSeconds} s`);
  });
  s.on('error', onConnectError);
  s.on('data', onData);
  s.on('close', () => {
    closedWith = 'the server closed the connection';
    wake?.();
    if (Atomics.load(ctrl, C_STATE) === S_STREAMING) end(S_LOST, lostMessage('the connection was lost'));
  });
  s.once(target.tls ? 'secureConnect' : 'connect', () => {
    handshake().catch((e: Error) => {
      if (Atomics.load(ctrl, C_STATE) === S_STREAMING) end(S_LOST, lostMessage(e.message));
      else end(S_REFUSED, `${shown}: ${e.message}`);
    });
  });
}

main();
