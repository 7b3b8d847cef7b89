/** Why decoding stopped. `offset` is absolute in the (decompressed) RDB stream. */
export class RdbError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`${file}: offset ${offset}: ${expected}`);
    this.name = 'RdbError';
  }
}

/** Thrown inside the decoder, turned into an {@link RdbError} (with the file name) at the top level. */
export class DecodeFault extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(expected);
    this.name = 'DecodeFault';
  }
}

/** One byte as `0xNN` for messages. */
export function prettyByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
