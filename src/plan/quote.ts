/**
 * redis-cli quoting, binary safe: {@link repr} writes an argument the way redis-cli's `sdscatrepr` does (always in
 * double quotes, `\xHH` for any byte that is not printable ASCII), and {@link splitArgs} reads a line the way
 * `sdssplitargs` does, so a plan line means the same bytes to rdbscope and to redis-cli.
 */

const NAMED: Record<number, string> = { 0x5c: '\\\\', 0x22: '\\"', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x07: '\\a', 0x08: '\\b' };

/** `"..."` with escapes, as sdscatrepr produces it. */
export function repr(bytes: Uint8Array | string): string {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let out = '"';
  for (const c of b) {
    const named = NAMED[c];
    if (named !== undefined) out += named;
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/**
 * A value (a label, a file name, an aux field, a pattern) as it may stand inside one plan comment line: control
 * characters, line and paragraph separators and backslashes are escaped, so that no value can end the comment and
 * start a guard or command line of its own.
 */
export function commentText(value: string): string {
  return value.replace(/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\\') return '\\\\';
    const named = NAMED[c.charCodeAt(0)];
    return named ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

const UNESCAPE: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, b: 0x08, a: 0x07 };

function isHex(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '\v' || ch === '\f';
}

/**
 * Splits a line into arguments like sdssplitargs: bare words, `"..."` with `\xHH`/`\n`/`\r`/`\t`/`\b`/`\a`/`\\`/`\"`
 * escapes, `'...'` with only `\'`. A closing quote must be followed by a space or the end. Returns null on
 * unbalanced quotes (as sdssplitargs does). Characters outside ASCII stand for their UTF-8 bytes (plans written by
 * rdbscope are pure ASCII: repr escapes every other byte).
 */
export function splitArgs(text: string): Buffer[] | null {
  const line = Array.from(text); // code points, so a non-ASCII character is never split
  const args: Buffer[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return args;
    const bytes: number[] = [];
    const pushText = (s: string): void => {
      for (const x of Buffer.from(s, 'utf8')) bytes.push(x);
    };
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      const ch = line[i];
      if (inDq) {
        if (ch === undefined) return null;
        if (ch === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          bytes.push(parseInt(line.slice(i + 2, i + 4).join(''), 16));
          i += 3;
        } else if (ch === '\\' && i + 1 < n) {
          i++;
          const e = line[i]!;
          const u = UNESCAPE[e];
          if (u !== undefined) bytes.push(u);
          else pushText(e);
        } else if (ch === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else pushText(ch);
      } else if (inSq) {
        if (ch === undefined) return null;
        if (ch === '\\' && line[i + 1] === "'") {
          i++;
          bytes.push(0x27);
        } else if (ch === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else pushText(ch);
      } else {
        if (ch === undefined || isSpace(ch)) done = true;
        else if (ch === '"') inDq = true;
        else if (ch === "'") inSq = true;
        else pushText(ch);
      }
      if (i < n) i++;
    }
    args.push(Buffer.from(bytes));
  }
}
