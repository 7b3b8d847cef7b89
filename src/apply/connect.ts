/**
 * Connecting to the live server: URL parsing (redis:// or rediss:// for TLS, ACL user and password from the URL
 * or from REDISCLI_AUTH / RDBSCOPE_PASSWORD), Cluster detection, and the replication-id check. The password is
 * never printed: every message shows {@link redactUrl}'s form.
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { UserError } from '../errors.js';

export type Client = Redis | Cluster;

export interface Target {
  readonly client: Client;
  readonly cluster: boolean;
  /** The URL with any password replaced by `***`. */
  readonly shown: string;
  /** The standalone server, or the cluster's master nodes. */
  readonly nodes: () => Redis[];
  close(): Promise<void>;
}

/** The URL with the password (if any) replaced by `***`; never throws. */
export function redactUrl(url: string): string {
  // Whatever is wrong with the URL: everything before its last '@' that could hold a password is masked. After
  // '//', the user name is kept; without '//' (user:pw@host, redis:/user:pw@host) the whole user part goes.
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const slashes = url.indexOf('//');
  if (slashes < 0 || slashes > at) return `***${url.slice(at)}`;
  const userinfo = url.slice(slashes + 2, at);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? (userinfo === '' ? '' : '***') : `${userinfo.slice(0, colon)}:***`;
  return `${url.slice(0, slashes + 2)}${user}${url.slice(at)}`;
}

interface Parsed {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly options: RedisOptions;
}

function parseUrl(url: string, everReady: { value: boolean }): Parsed {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${redactUrl(url)}: not a URL (expected redis://[user:password@]host:port[/db] or rediss://...)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UserError(`${redactUrl(url)}: the URL must start with redis:// or rediss://`);
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new UserError(`${redactUrl(url)}: the path must be a database number`);
  const password = u.password ? decodeURIComponent(u.password) : process.env.REDISCLI_AUTH || process.env.RDBSCOPE_PASSWORD || undefined;
  const options: RedisOptions = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password,
    tls: u.protocol === 'rediss:' ? { servername: u.hostname } : undefined,
    lazyConnect: true,
    connectTimeout: 10_000,
    maxRetriesPerRequest: 3,
    // No retry before the first connection (a wrong address or password fails at once); afterwards a dropped
    // connection is retried for about 10 s, then the run stops and can be resumed.
    retryStrategy: (times: number) => (!everReady.value || times > 10 ? null : Math.min(times * 200, 1000)),
    enableReadyCheck: true,
  };
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 6379, db: dbText ? Number(dbText) : 0, options };
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Connects, switching to ioredis Cluster when asked or when the server reports cluster mode. */
export async function connect(url: string, wantCluster: boolean): Promise<Target> {
  const shown = redactUrl(url);
  const everReady = { value: false };
  const p = parseUrl(url, everReady);
  let lastError: unknown = null;
  // ioredis is loaded when a command first connects: the commands that read files only do not pay for it.
  const { Cluster, Redis } = await import('ioredis');
  const single = new Redis({ ...p.options, host: p.host, port: p.port, db: p.db });
  single.on('error', (e) => (lastError = e));
  single.on('ready', () => (everReady.value = true));
  try {
    await single.connect();
  } catch (err) {
    single.disconnect();
    throw new UserError(`cannot connect to ${shown}: ${oneLine(lastError ?? err)}`);
  }
  let clusterMode = wantCluster;
  if (!clusterMode) {
    const info = await single.info('cluster').catch(() => '');
    clusterMode = /cluster_enabled:1/.test(info);
  }
  if (!clusterMode) {
    return { client: single, cluster: false, shown, nodes: () => [single], close: async () => void (await single.quit().catch(() => undefined)) };
  }
  single.disconnect();
  if (p.db !== 0) throw new UserError(`${shown}: a cluster has database 0 only`);
  const cluster = new Cluster([{ host: p.host, port: p.port }], { redisOptions: p.options, lazyConnect: true, enableReadyCheck: true });
  cluster.on('error', (e) => (lastError = e));
  try {
    await cluster.connect();
  } catch (err) {
    cluster.disconnect();
    throw new UserError(`cannot connect to the cluster at ${shown}: ${oneLine(lastError ?? err)}`);
  }
  return {
    client: cluster, cluster: true, shown, nodes: () => cluster.nodes('master'),
    close: async () => void (await cluster.quit().catch(() => undefined)),
  };
}

/**
 * Refuses a server that is not the one the snapshot came from: the dump's repl-id must be the master_replid (or
 * master_replid2) of one of the nodes. Returns a warning text when the check could not be made.
 */
export async function checkReplId(t: Target, replId: string | null, force: boolean): Promise<string | null> {
  if (replId === null) return 'the snapshot records no repl-id (a standalone SAVE does not write one): the server identity was not checked';
  const seen: string[] = [];
  for (const node of t.nodes()) {
    const info = await node.info('replication');
    for (const m of info.matchAll(/^master_replid2?:([0-9a-f]+)/gm)) seen.push(m[1]!);
  }
  if (seen.includes(replId)) return null;
  const msg = `${t.shown} is not the server the snapshot came from: its replication id is ${seen.filter((s) => !/^0+$/.test(s)).join(' / ') || 'unknown'}, the snapshot's is ${replId}`;
  if (force) return `${msg} (going on: --force)`;
  throw new UserError(`${msg}; use --force to apply anyway`);
}
