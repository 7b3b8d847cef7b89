import { UserError } from '../errors.js';

/**
 * --pattern values. `/body/flags` is a JavaScript regular expression (unanchored, like `grep`); anything else is
 * a Redis-style glob matched against the whole key: `*` any run of characters (separators included), `?` one
 * character, `[abc]`, `[^a-z]` / `[!a-z]` classes, `\x` a literal x.
 * Keys are matched as text: UTF-8 when valid, else one character per byte (latin1).
 */
export interface UserPattern {
  text: string;
  re: RegExp;
}

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}

export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < glob.length) out += escapeRe(glob[++i]);
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      let neg = '';
      if (body[0] === '^' || body[0] === '!') {
        neg = '^';
        body = body.slice(1);
      }
      out += '[' + neg + body.replace(/[\\\]^]/g, '\\$&') + ']';
      i = close;
    } else out += escapeRe(ch);
  }
  return new RegExp(out + '$', 's');
}

export function compileUserPatterns(patterns: readonly string[]): UserPattern[] {
  return patterns.map((text) => {
    if (text.length === 0) throw new UserError('--pattern: empty pattern');
    const last = text.lastIndexOf('/');
    if (text[0] === '/' && last > 0) {
      try {
        // 'g' and 'y' would make test() stateful: they mean nothing here
        return { text, re: new RegExp(text.slice(1, last), text.slice(last + 1).replace(/[gy]/g, '')) };
      } catch (e) {
        throw new UserError(`--pattern ${text}: invalid regular expression (${(e as Error).message})`);
      }
    }
    try {
      return { text, re: globToRegExp(text) };
    } catch (e) {
      throw new UserError(`--pattern ${text}: invalid glob (${(e as Error).message})`);
    }
  });
}
