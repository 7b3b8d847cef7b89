/**
 * Sizes of a value written other ways, measured: deflate (fflate, level 6: what a client library's default
 * gives), MessagePack (@msgpack/msgpack: the reference implementation) and MessagePack then deflate.
 */
import { deflateSync } from 'fflate';
import { encode as msgpackEncode } from '@msgpack/msgpack';

export function deflatedSize(b: Uint8Array): number {
  return b.length === 0 ? 0 : deflateSync(b, { level: 6 }).length;
}

/** MessagePack and MessagePack+deflate sizes of a parsed JSON value. */
export function msgpackSizes(value: unknown): { msgpack: number; msgpackDeflate: number } {
  const packed = msgpackEncode(value);
  return { msgpack: packed.length, msgpackDeflate: deflatedSize(packed) };
}
