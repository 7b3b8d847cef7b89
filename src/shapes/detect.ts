/**
 * What a value is, from its bytes alone (magic numbers and structure; never from key names). `whole` says whether
 * the bytes are the whole value or a prefix of it (a prefix is judged by how it starts).
 */
import { isUtf8 } from 'node:buffer';
import { decode as msgpackDecode } from '@msgpack/msgpack';

export const FORMATS = [
  'json-object', 'json-array', 'json-scalar', 'msgpack', 'php-serialize', 'pickle', 'java-serialized', 'protobuf',
  'gzip', 'zlib', 'zstd', 'lz4', 'snappy', 'base64', 'int', 'float', 'uuid', 'hex', 'html', 'xml', 'text', 'binary', 'empty',
] as const;
export type Format = (typeof FORMATS)[number];

/** Formats that are already compressed: compressing them again saves nothing. */
export const COMPRESSED_FORMATS: ReadonlySet<Format> = new Set<Format>(['gzip', 'zlib', 'zstd', 'lz4', 'snappy']);

export function isJsonFormat(f: Format): boolean {
  return f === 'json-object' || f === 'json-array' || f === 'json-scalar';
}

const INT_RE = /^-?(0|[1-9][0-9]*)$/;
const FLOAT_RE = /^-?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_RE = /^[0-9a-f]+$/i;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]+={0,2}$/;
const PHP_RE = /^(?:a:[0-9]+:\{|O:[0-9]+:"|C:[0-9]+:"|s:[0-9]+:"|i:-?[0-9]+;|d:-?[0-9.eE+-]+;|b:[01];|N;)/;
const HTML_RE = /^\s*(?:<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:div|p|span|a|table|ul|li|section|article|h[1-6])[\s>])/i;
const XML_RE = /^\s*(?:<\?xml[\s?]|<[A-Za-z_][\w.:-]*(?:\s[^<>]*)?\/?>)/;

/** gzip, zlib, zstd, lz4 frame, snappy framed: by their magic numbers. */
export function compressedMagic(b: Uint8Array): Format | null {
  const n = b.length;
  if (n >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08) return 'gzip';
  if (n >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  if (n >= 4 && b[0] === 0x04 && b[1] === 0x22 && b[2] === 0x4d && b[3] === 0x18) return 'lz4';
  if (n >= 10 && b[0] === 0xff && b[1] === 0x06 && b[2] === 0x00 && b[3] === 0x00 &&
      b[4] === 0x73 && b[5] === 0x4e && b[6] === 0x61 && b[7] === 0x50 && b[8] === 0x70 && b[9] === 0x59) return 'snappy';
  // zlib (RFC 1950): CM 8, window <= 32 KiB, no preset dictionary, header check; the usual second bytes only
  // (01, 5e, 9c, da: the four levels zlib writes), and not when the whole sample is printable text.
  if (n >= 2 && b[0] === 0x78 && (b[1] === 0x01 || b[1] === 0x5e || b[1] === 0x9c || b[1] === 0xda)) {
    if (!printable(b)) return 'zlib';
  }
  return null;
}

function printable(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    if (c === 0x7f || c >= 0x80) return false;
  }
  return true;
}

/** Python pickle: PROTO opcode (0x80) and a protocol 2-5, ending with STOP ('.') when whole. */
function isPickle(b: Uint8Array, whole: boolean): boolean {
  if (b.length < 3 || b[0] !== 0x80 || b[1]! < 2 || b[1]! > 5) return false;
  return !whole || b[b.length - 1] === 0x2e;
}

function isMsgpack(b: Uint8Array, whole: boolean): boolean {
  const c = b[0]!;
  const container = (c >= 0x80 && c <= 0x9f) || (c >= 0xdc && c <= 0xdf);
  if (!container) return false;
  if (!whole) return b.length >= 2;
  try {
    msgpackDecode(b); // throws on trailing bytes or bad structure
    return true;
  } catch {
    return false;
  }
}

/**
 * Protocol Buffers wire format: a run of fields (varint tag with field number >= 1 and wire type 0, 1, 2 or 5)
 * whose lengths stay in bounds and that ends exactly at the end (a prefix may end inside its last field).
 */
function isProtobufLike(b: Uint8Array, whole: boolean): boolean {
  let p = 0;
  let fields = 0;
  const varint = (): number | null => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= b.length) return null;
      const x = b[p++]!;
      v += (x & 0x7f) * mul;
      mul *= 128;
      if ((x & 0x80) === 0) return v;
    }
    return null;
  };
  while (p < b.length) {
    const tag = varint();
    if (tag === null) return !whole && fields >= 2;
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    if (field < 1 || field > 536870911) return false;
    if (wire === 0) {
      if (varint() === null) return !whole && fields >= 2;
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const len = varint();
      if (len === null) return !whole && fields >= 2;
      p += len;
    } else return false;
    if (p > b.length) return !whole && fields >= 2;
    fields++;
  }
  return fields >= 2;
}

/** The parsed value of the last whole JSON value detectFormat recognized (see {@link lastJson}). */
let parsed: { value: unknown } | null = null;

/** The value detectFormat parsed when it last returned a JSON format for a whole value (null: none). */
export function lastJson(): { value: unknown } | null {
  return parsed;
}

/** A JSON value that parses (whole), or one that starts like a JSON object or array (prefix). */
function jsonKind(text: string, whole: boolean): Format | null {
  const t = text.trimStart();
  const c = t[0];
  if (c === '{' || c === '[') {
    if (whole) {
      try {
        const v: unknown = JSON.parse(t);
        parsed = { value: v };
        return Array.isArray(v) ? 'json-array' : v !== null && typeof v === 'object' ? 'json-object' : null;
      } catch {
        return null;
      }
    }
    if (c === '{' ? /^\{\s*("|\})/.test(t) : /^\[\s*([{["\d\]-]|true|false|null)/.test(t)) return c === '{' ? 'json-object' : 'json-array';
    return null;
  }
  if (!whole) return null;
  if (c === '"' || t === 'true' || t === 'false' || t === 'null') {
    try {
      parsed = { value: JSON.parse(t) };
      return 'json-scalar';
    } catch {
      return null;
    }
  }
  return null;
}

/** The format of a value (or, with whole = false, of the value these bytes start). */
export function detectFormat(b: Uint8Array, whole = true): Format {
  parsed = null;
  if (b.length === 0) return 'empty';
  const magic = compressedMagic(b);
  if (magic) return magic;
  if (b.length >= 4 && b[0] === 0xac && b[1] === 0xed && b[2] === 0x00 && b[3] === 0x05) return 'java-serialized';
  if (isPickle(b, whole)) return 'pickle';
  if (isMsgpack(b, whole)) return 'msgpack';
  // A prefix may end inside a UTF-8 sequence: judge it without its last 3 bytes.
  const utf8 = isUtf8(b) || (!whole && b.length > 4 && isUtf8(b.subarray(0, trimUtf8(b))));
  if (utf8) {
    const text = Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
    if (whole && INT_RE.test(text)) return 'int';
    if (whole && FLOAT_RE.test(text)) return 'float';
    const json = jsonKind(text, whole);
    if (json) return json;
    if (whole && UUID_RE.test(text)) return 'uuid';
    if (whole && text.length >= 16 && text.length % 2 === 0 && HEX_RE.test(text)) return 'hex';
    if (PHP_RE.test(text)) return 'php-serialize';
    if (HTML_RE.test(text)) return 'html';
    if (XML_RE.test(text)) return 'xml';
    if (text.length >= 16 && (!whole || text.length % 4 === 0) && (BASE64_RE.test(text) || BASE64URL_RE.test(text)) &&
        /[A-Z]/.test(text) && /[a-z]/.test(text) && /[0-9]/.test(text)) return 'base64';
    if (printableText(text)) return 'text';
  }
  if (isProtobufLike(b, whole)) return 'protobuf';
  return 'binary';
}

/** Length of b without a UTF-8 sequence cut at its end. */
function trimUtf8(b: Uint8Array): number {
  let n = b.length;
  for (let i = 0; i < 3 && n > 0; i++) {
    const c = b[n - 1]!;
    if (c < 0x80) break;
    n--;
    if (c >= 0xc0) break;
  }
  return n;
}

/** Text: no control characters but tab, newline and carriage return. */
function printableText(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
