/** A throwaway redis-server, an ioredis client on it and a temporary folder, all removed when the test ends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisInstance } from './redis.ts';

export async function liveServer(t: TestContext, prefix: string): Promise<{ dir: string; r: RedisInstance; c: Redis }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const r = await startRedis();
  const c = new Redis(r.port, '127.0.0.1');
  t.after(async () => {
    c.disconnect();
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, r, c };
}
