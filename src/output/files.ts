/**
 * The files commands write (plans, reports, metrics): never over one of the command's inputs, never over an
 * inventory or a dump unless asked (--force), and always atomically (a temporary file beside it, then a rename).
 */
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';

/** What an existing file is, from its first bytes: an inventory, a dump, or anything else (null). */
function kindOf(path: string): string | null {
  const head = Buffer.alloc(16);
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try { n = readSync(fd, head, 0, 16, 0); } finally { closeSync(fd); }
  } catch {
    return null;
  }
  const b = head.subarray(0, n);
  if (b.toString('latin1').startsWith('SQLite format 3\0')) return 'an SQLite file (an inventory?)';
  if (/^(REDIS|VALKEY)\d/.test(b.toString('latin1'))) return 'an RDB dump';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'a gzip file (a dump?)';
  return null;
}

/** Refuses an output path that is one of `inputs`, or an existing inventory or dump unless `force`. */
export function checkOutput(out: string, inputs: readonly string[], force: boolean): void {
  if (!existsSync(out)) return;
  const o = statSync(out);
  for (const input of inputs) {
    if (!existsSync(input)) continue;
    const i = statSync(input);
    if (i.dev === o.dev && i.ino === o.ino) throw new UserError(`${out}: is this command's input ${input}; write the output elsewhere`);
  }
  const kind = kindOf(out);
  if (kind !== null && !force) throw new UserError(`${out}: is ${kind}; refusing to overwrite it (--force to overwrite)`);
}

/** Writes `text` to `path` atomically; `what` names the content in the error message. */
export function writeFileAtomic(path: string, text: string, what: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`${path}: cannot write the ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}
