/**
 * The shared memory between the pulling thread (pull-worker.ts) and the decoding thread (source.ts): a ring of
 * snapshot bytes and a few control words, so that the decoder, which pulls bytes synchronously, can read a socket
 * that lives on another thread, with at most {@link RING_BYTES} in between (bounded memory, TCP backpressure).
 */

/** Int32 control words. */
export const C_WRITTEN = 0; // bytes written into the ring (mod 2^32)
export const C_READ = 1; // bytes read out of it by the decoder (mod 2^32)
export const C_STATE = 2; // one of the S_ values
export const C_CLOSED = 3; // 1: the decoder has closed its side
export const C_MESSAGE = 4; // length of the message in the message buffer
export const C_DRAWN = 5; // 1 while a progress line is on the terminal
/** Float64 words (at byte 32 of the control buffer). */
export const F_TOTAL = 0; // payload bytes announced by `$<len>`, -1 for the `$EOF:<mark>` framing
export const F_RECEIVED = 1; // payload bytes received so far

export const S_HANDSHAKE = 0;
export const S_STREAMING = 1;
export const S_DONE = 2;
/** Failed before any snapshot byte (refused, authentication, a primary): the message is the whole error line. */
export const S_REFUSED = 3;
/** Failed during the transfer: the message says how. */
export const S_LOST = 4;

export const CONTROL_BYTES = 48;
export const MESSAGE_BYTES = 1024;
export const RING_BYTES = 8 << 20;

export interface RingBuffers {
  control: SharedArrayBuffer;
  ring: SharedArrayBuffer;
  message: SharedArrayBuffer;
}

export function newRing(): RingBuffers {
  return { control: new SharedArrayBuffer(CONTROL_BYTES), ring: new SharedArrayBuffer(RING_BYTES), message: new SharedArrayBuffer(MESSAGE_BYTES) };
}
