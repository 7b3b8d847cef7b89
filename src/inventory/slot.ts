/**
 * Redis Cluster hash slots: CRC16 (XMODEM: polynomial 0x1021, initial value 0, no reflection) of the key, or of
 * its hash tag, modulo 16384. The hash tag is the part between the first '{' and the first '}' after it, when
 * that part is not empty (see keyHashSlot in redis/src/cluster.c).
 */

const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** CRC16-XMODEM of `bytes[start, end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** The cluster hash slot (0..16383) of a key, honouring the {hash tag} rule. */
export function keySlot(key: Uint8Array): number {
  const open = key.indexOf(0x7b); // '{'
  if (open !== -1) {
    const close = key.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) return crc16(key, open + 1, close) & 0x3fff;
  }
  return crc16(key) & 0x3fff;
}
