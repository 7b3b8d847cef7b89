/**
 * Starts a throwaway redis-server for a test: a free port on loopback, a temporary --dir, no persistence except
 * what the test asks for with SAVE, stopped by its pid afterwards. No mocks: this is the real server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisInstance {
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  readonly url: string;
  /** Runs redis-cli with the given arguments against this server and returns stdout (trimmed of the final newline). */
  cli(...args: string[]): string;
  /** Runs redis-cli in --pipe mode with raw RESP input (binary safe). */
  pipe(resp: Buffer): void;
  /** SAVE and return the path of the written dump.rdb. */
  save(): string;
  stop(): Promise<void>;
}

/** Encodes one command as RESP (binary safe), for `pipe`. */
export function resp(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** `server`: the server binary to run (default: `redis-server` on PATH; any Redis or Valkey build answers the same
 * protocol, and the machine's `redis-cli` talks to all of them). */
export async function startRedis(extraArgs: string[] = [], opts: { server?: string } = {}): Promise<RedisInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-redis-'));
  const child: ChildProcess = spawn(
    opts.server ?? 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--dbfilename', 'dump.rdb', '--daemonize', 'no', '--logfile', join(dir, 'redis.log'), ...extraArgs],
    { stdio: 'ignore' },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server did not start');
  const cli = (...args: string[]): string => {
    const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.replace(/\n$/, '');
  };
  for (let i = 0; ; i++) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') break;
    if (i > 100) {
      child.kill('SIGKILL');
      const log = existsSync(join(dir, 'redis.log')) ? readFileSync(join(dir, 'redis.log'), 'utf8') : '';
      throw new Error(`redis-server on port ${port} did not answer: ${log.slice(-500)}`);
    }
    await sleep(50);
  }
  return {
    port,
    dir,
    pid,
    url: `redis://127.0.0.1:${port}`,
    cli,
    pipe(input: Buffer) {
      const r = spawnSync('redis-cli', ['-p', String(port), '--pipe'], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
      if (r.status !== 0 || /errors: [1-9]/.test(r.stdout)) throw new Error(`redis-cli --pipe failed: ${r.stdout} ${r.stderr}`);
    },
    save() {
      cli('SAVE');
      return join(dir, 'dump.rdb');
    },
    async stop() {
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      process.kill(pid, 'SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
