/**
 * Reading a server's own facts, read-only: INFO (server, memory, keyspace, persistence, replication, stats, clients),
 * MEMORY STATS and CONFIG GET of the settings that shape memory (encoding thresholds, maxmemory and its policy,
 * list-compress-depth, activedefrag). A command the server refuses (managed services rename or block CONFIG) is
 * recorded as refused, with the server's error, and the rest is read anyway.
 */
import type { Redis } from 'ioredis';
import { UserError } from '../errors.js';
import type { LiveTarget } from '../live/url.js';

export interface Fact {
  /** `info.memory.used_memory`, `memory_stats.fragmentation`, `config.maxmemory`, ...; for a refused command, the command. */
  name: string;
  /** As the server gave it; null when refused. */
  value: string | null;
  /** ISO 8601 UTC. */
  readAt: string;
  /** The server's error when it refused the command. */
  refused: string | null;
}

export const INFO_SECTIONS = ['server', 'memory', 'keyspace', 'persistence', 'replication', 'stats', 'clients'] as const;

/** CONFIG GET parameters; the ziplist names are the older servers' names of the same thresholds. */
export const CONFIG_PARAMS = [
  'maxmemory', 'maxmemory-policy', 'activedefrag', 'list-compress-depth', 'list-max-listpack-size', 'list-max-ziplist-size',
  'hash-max-listpack-entries', 'hash-max-listpack-value', 'hash-max-ziplist-entries', 'hash-max-ziplist-value',
  'set-max-intset-entries', 'set-max-listpack-entries', 'set-max-listpack-value',
  'zset-max-listpack-entries', 'zset-max-listpack-value', 'zset-max-ziplist-entries', 'zset-max-ziplist-value',
  'stream-node-max-bytes', 'stream-node-max-entries', 'maxmemory-samples', 'lazyfree-lazy-eviction',
] as const;

/** An ioredis client on the target (no retries, no ready check: a server that refuses INFO is still read). */
export async function openClient(target: LiveTarget): Promise<Redis> {
  let last: Error | null = null;
  // Loaded when first used, as in apply/connect.ts: commands that never connect do not pay for it.
  const { Redis } = await import('ioredis');
  const c = new Redis({
    host: target.host, port: target.port, username: target.username, password: target.password,
    tls: target.tls ? { ca: target.ca, servername: /^[\d.:]+$/.test(target.host) ? undefined : target.host } : undefined,
    lazyConnect: true, enableReadyCheck: false, connectTimeout: 10_000, maxRetriesPerRequest: 1,
    retryStrategy: () => null, enableOfflineQueue: false,
  });
  c.on('error', (e: Error) => (last = e));
  try {
    await c.connect();
    await c.call('PING');
  } catch (e) {
    c.disconnect();
    const msg = ((last ?? e) as Error).message.split('\n')[0];
    throw new UserError(`cannot read facts from ${target.source}: ${msg}`, 1);
  }
  return c;
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/^ReplyError: /, '');
}

/** MEMORY STATS as flat name/value pairs (nested maps such as db.0 joined with dots). */
function flatten(prefix: string, reply: unknown, out: Array<[string, string]>): void {
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) flatten(`${prefix}.${String(reply[i])}`, reply[i + 1], out);
  } else if (reply !== null && reply !== undefined) {
    out.push([prefix, String(reply)]);
  }
}

export async function readFacts(c: Redis): Promise<Fact[]> {
  const facts: Fact[] = [];
  const now = (): string => new Date().toISOString();
  const refused = (name: string, e: unknown): void => void facts.push({ name, value: null, readAt: now(), refused: errText(e) });
  for (const section of INFO_SECTIONS) {
    try {
      const text = String(await c.call('INFO', section));
      const at = now();
      for (const line of text.split(/\r?\n/)) {
        const m = /^([^#:][^:]*):(.*)$/.exec(line);
        if (m) facts.push({ name: `info.${section}.${m[1]}`, value: m[2]!, readAt: at, refused: null });
      }
    } catch (e) {
      refused(`INFO ${section}`, e);
    }
  }
  try {
    const pairs: Array<[string, string]> = [];
    flatten('memory_stats', await c.call('MEMORY', 'STATS'), pairs);
    const at = now();
    for (const [name, value] of pairs) facts.push({ name, value, readAt: at, refused: null });
  } catch (e) {
    refused('MEMORY STATS', e);
  }
  for (const param of CONFIG_PARAMS) {
    try {
      const r = (await c.call('CONFIG', 'GET', param)) as string[];
      for (let i = 0; i + 1 < r.length; i += 2) facts.push({ name: `config.${r[i]}`, value: String(r[i + 1]), readAt: now(), refused: null });
    } catch (e) {
      refused(`CONFIG GET ${param}`, e);
      // a renamed or blocked CONFIG refuses every parameter alike: the rest are recorded as refused without asking
      if (/unknown command|NOPERM|not allowed|disabled/i.test(errText(e))) {
        for (const p of CONFIG_PARAMS.slice(CONFIG_PARAMS.indexOf(param) + 1)) facts.push({ name: `CONFIG GET ${p}`, value: null, readAt: now(), refused: errText(e) });
        break;
      }
    }
  }
  return facts;
}
