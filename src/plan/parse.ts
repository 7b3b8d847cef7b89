/**
 * Reading a plan file back: the header, SELECT lines, and each `#@` guard with the command that follows it.
 * Strict: a command that rdbscope would not have written, a command without a guard, or a broken quote is an
 * error naming the file and line, and nothing is applied. {@link openPlan} reads the file twice, line by line
 * (once to check all of it, once to apply), so a plan of any size takes little memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';
import { DESTRUCTIVE, parseGuard, PLAN_COMMANDS, PLAN_MAGIC, sealOf, type Guard, type Plan, type PlanCommand, type PlanStream } from './model.js';
import { splitArgs } from './quote.js';

const HEADER_RE = /^#\s([a-z][a-z -]*):\s(.*)$/;

/** The commands each action writes (plan/build.ts): a plan's lines must all be of its `# action:`. */
const ACTION_COMMANDS: Record<string, (args: Buffer[]) => boolean> = {
  unlink: (a) => name(a) === 'UNLINK',
  expire: (a) => name(a) === 'EXPIRE' && a[3]?.toString('latin1').toUpperCase() === 'NX',
  'cap-ttl': (a) => name(a) === 'EXPIRE' && a[3]?.toString('latin1').toUpperCase() === 'LT',
  persist: (a) => name(a) === 'PERSIST',
  hdel: (a) => name(a) === 'HDEL',
  trim: (a) => name(a) === 'LTRIM' || name(a) === 'ZREMRANGEBYRANK',
};

function name(args: Buffer[]): string {
  return args[0]!.toString('latin1').toUpperCase();
}

/** Checks the arguments of a plan command; returns an error text or null. */
function checkArgs(args: Buffer[]): string | null {
  const name = args[0]!.toString('latin1').toUpperCase();
  if (!(PLAN_COMMANDS as readonly string[]).includes(name)) return `'${name}' is not a command a plan may hold (${PLAN_COMMANDS.join(', ')})`;
  const n = args.length - 2;
  const int = (b: Buffer | undefined): boolean => b !== undefined && /^-?\d+$/.test(b.toString('latin1'));
  if (args.length < 2) return `${name} without a key`;
  switch (name) {
    case 'UNLINK':
    case 'PERSIST':
      return n === 0 ? null : `${name} takes exactly one key in a plan`;
    case 'EXPIRE':
      return int(args[2]) && (n === 1 || (n === 2 && /^(NX|XX|GT|LT)$/i.test(args[3]!.toString('latin1'))))
        ? null : 'EXPIRE needs: key seconds [NX|XX|GT|LT]';
    case 'HDEL':
      return n >= 1 ? null : 'HDEL needs at least one field';
    default: // LTRIM, ZREMRANGEBYRANK
      return n === 2 && int(args[2]) && int(args[3]) ? null : `${name} needs: key start stop`;
  }
}

/** The line-by-line state of a plan being read. */
class Parser {
  readonly header = new Map<string, string>();
  private db = 0;
  /** The guard line waiting for its command: what it says, its line, its text without the seal, and the seal. */
  private guard: { g: Guard; line: number; text: string; seal: string | null } | null = null;
  private inHeader = true;
  /** The key of the previous command when it was destructive: a key's first such command takes the backup. */
  private lastDestructive: string | null = null;
  private count = 0;

  constructor(private readonly file: string) {}

  /** Reads line `n` (1-based); returns the command it holds, if any. */
  feed(raw: string, n: number): PlanCommand | null {
    const line = raw.replace(/\r$/, '');
    const fail = (what: string): never => {
      throw new UserError(`${this.file}:${n}: ${what}`);
    };
    if (n === 1 && line.trimEnd() !== PLAN_MAGIC) fail(`not an rdbscope plan (expected '${PLAN_MAGIC}')`);
    if (line.trim() === '') {
      this.inHeader = false;
      return null;
    }
    if (line.startsWith('#@')) {
      if (this.guard) fail(`guard of line ${this.guard.line} is not followed by a command`);
      const seal = /\sseal=(\S*)/.exec(line);
      const text = line.replace(/\s+seal=\S*/, '').trimEnd(); // what the seal covers
      const g = parseGuard(text);
      if (typeof g === 'string') fail(g);
      this.guard = { g: g as Guard, line: n, text, seal: seal ? seal[1]! : null };
      return null;
    }
    if (line.startsWith('#')) {
      const h = this.inHeader ? HEADER_RE.exec(line) : null;
      if (h && !this.header.has(h[1]!)) this.header.set(h[1]!, h[2]!.trim());
      return null;
    }
    this.inHeader = false;
    const args = splitArgs(line) ?? fail('unbalanced quotes');
    if (args.length === 0) return null;
    const name = args[0]!.toString('latin1').toUpperCase();
    if (name === 'SELECT') {
      if (this.guard) fail(`guard of line ${this.guard.line} is followed by SELECT, not by a command`);
      if (args.length !== 2 || !/^\d+$/.test(args[1]!.toString('latin1'))) fail('SELECT needs one database number');
      this.db = Number(args[1]!.toString('latin1'));
      this.lastDestructive = null;
      return null;
    }
    const bad = checkArgs(args);
    if (bad) fail(bad);
    const guard = this.guard ?? fail(`${name} without a "#@" guard line above it (rdbscope applies only guarded commands)`);
    const action = (this.header.get('action') ?? '').split(' ')[0]!;
    const allowed = ACTION_COMMANDS[action] ?? fail(`a command before the plan's '# action:' header (rdbscope writes it first)`);
    if (!allowed(args)) fail(`${name} is not what the plan's action '${action}' writes`);
    const planSeal = this.header.get('seal') ??
      fail(`the plan has no '# seal:' header (written by an earlier rdbscope, or not by rdbscope plan): make it again with rdbscope plan`);
    if (guard.seal !== sealOf(planSeal, this.db, guard.text, line)) {
      fail(`${name} does not carry this plan's seal (the line or its guard was added or changed after rdbscope wrote the plan): remove it, or make the plan again`);
    }
    this.count++;
    args[0] = Buffer.from(name);
    const id = args[1]!.toString('base64');
    const destructive = DESTRUCTIVE.has(name);
    const backup = destructive && this.lastDestructive !== id;
    this.lastDestructive = destructive ? id : null;
    this.guard = null;
    return { line: n, db: this.db, args, guard: guard.g, backup, text: line };
  }

  finish(): void {
    if (this.guard) throw new UserError(`${this.file}:${this.guard.line}: guard at the end of the plan without a command`);
    // Commands may be removed from a plan to leave keys alone, never added.
    const said = Number(this.header.get('commands'));
    if (!Number.isInteger(said)) throw new UserError(`${this.file}: the plan has no '# commands:' header`);
    if (this.count > said) throw new UserError(`${this.file}: ${this.count} commands, more than the ${said} the plan's header says were written`);
  }
}

function replIdOf(header: ReadonlyMap<string, string>): string | null {
  const rid = header.get('repl-id');
  return rid && rid !== 'none' ? rid : null;
}

/** Parses plan text held in memory. `file` names the plan in error messages. */
export function parsePlan(text: string, file: string, sha256 = createHash('sha256').update(text).digest('hex')): Plan {
  const p = new Parser(file);
  const commands: PlanCommand[] = [];
  text.split('\n').forEach((line, i) => {
    const c = p.feed(line, i + 1);
    if (c) commands.push(c);
  });
  p.finish();
  return { header: p.header, replId: replIdOf(p.header), commands, sha256 };
}

/** The lines of a file, read in 64 KB chunks; the hash sees every byte. */
function* fileLines(path: string, hash: Hash): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UserError(`${path}: cannot read the plan (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const buf = Buffer.alloc(1 << 16);
    let rest = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      let data = Buffer.concat([rest, buf.subarray(0, n)]);
      let nl: number;
      while ((nl = data.indexOf(0x0a)) >= 0) {
        yield data.subarray(0, nl).toString('utf8');
        data = data.subarray(nl + 1);
      }
      rest = Buffer.from(data);
    }
    yield rest.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Checks a whole plan file and returns a handle that streams its commands. */
export function openPlan(path: string): PlanStream {
  const hash = createHash('sha256');
  const p = new Parser(path);
  let n = 0;
  let count = 0;
  for (const line of fileLines(path, hash)) if (p.feed(line, ++n)) count++;
  p.finish();
  const sha256 = hash.digest('hex');
  return {
    header: p.header, replId: replIdOf(p.header), sha256, count,
    *commands(): Generator<PlanCommand> {
      const again = createHash('sha256');
      const q = new Parser(path);
      let i = 0;
      for (const line of fileLines(path, again)) {
        const c = q.feed(line, ++i);
        if (c) yield c;
      }
      if (again.digest('hex') !== sha256) throw new UserError(`${path}: the plan changed while it was being applied; the journal holds what was done`);
    },
  };
}

/** Reads a whole plan file into memory (for small plans and tests). */
export function readPlan(path: string): Plan {
  const s = openPlan(path);
  return { header: s.header, replId: s.replId, commands: [...s.commands()], sha256: s.sha256 };
}
