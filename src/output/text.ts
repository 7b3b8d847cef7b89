/** Binary-safe text helpers shared by every output format. */
import type { Scalar } from '../decode/model.js';

const strict = new TextDecoder('utf-8', { fatal: true });

/** The bytes as a string when they are valid UTF-8, else null. */
export function utf8OrNull(b: Uint8Array): string | null {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
  const s = buf.toString('utf8');
  // Invalid sequences decode to U+FFFD; only then is a strict check needed (the text may hold a real U+FFFD).
  if (!s.includes('\uFFFD')) return s;
  try {
    return strict.decode(b);
  } catch {
    return null;
  }
}

export function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}

/**
 * A scalar as JSON: a string when it is UTF-8 text (integers as their decimal text), otherwise
 * `{"base64":"..."}`.
 */
export function scalarJson(v: Scalar): string {
  if (!(v instanceof Uint8Array)) return `"${String(v)}"`;
  const s = utf8OrNull(v);
  return s === null ? `{"base64":"${base64(v)}"}` : JSON.stringify(s);
}

/** A scalar as a JSON object key: its text, or `base64:<...>` when it is not UTF-8. */
export function scalarKeyJson(v: Scalar): string {
  if (!(v instanceof Uint8Array)) return `"${String(v)}"`;
  const s = utf8OrNull(v);
  return JSON.stringify(s === null ? `base64:${base64(v)}` : s);
}

/** A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A Redis-style glob (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes) compiled to a RegExp over the key's bytes read as
 * latin1 (one character per byte), so it matches binary keys exactly as the server's KEYS/SCAN MATCH would.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  const g = Buffer.from(glob, 'utf8').toString('latin1');
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < g.length) re += escapeRe(g[++i]!);
    else if (c === '[') {
      const close = g.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let body = g.slice(i + 1, close);
        const neg = body.startsWith('^');
        if (neg) body = body.slice(1);
        re += `[${neg ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
        i = close;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}
