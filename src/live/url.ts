/**
 * Where a live pull connects: a redis:// or rediss:// URL, the ACL user and password from the URL or from
 * REDISCLI_AUTH / RDBSCOPE_PASSWORD, and the CA file for TLS. The password stays in memory: every name shown or
 * stored is {@link LiveTarget.source} (redis://host:port, no user, no password).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

/** The URL with everything before its last '@' that could hold a password masked (for messages about a bad URL). */
function redactUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const slashes = url.indexOf('//');
  if (slashes < 0 || slashes > at) return `***${url.slice(at)}`;
  const userinfo = url.slice(slashes + 2, at);
  const colon = userinfo.indexOf(':');
  return `${url.slice(0, slashes + 2)}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}${url.slice(at)}`;
}

export interface LiveTarget {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** PEM text of the CA bundle (--cacert), when given. */
  readonly ca?: string;
  /** The server as named in messages and in the inventory: redis://host:port (rediss:// for TLS), no credentials. */
  readonly source: string;
}

export interface LiveOptions {
  url: string;
  cacert?: string;
  env?: NodeJS.ProcessEnv;
}

export function parseLiveUrl(o: LiveOptions): LiveTarget {
  const env = o.env ?? process.env;
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw new UserError(`${redactUrl(o.url)}: not a URL (expected redis://[user:password@]host:port or rediss://...)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UserError(`${redactUrl(o.url)}: the URL must start with redis:// or rediss://`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new UserError(`${redactUrl(o.url)}: the URL names no host`);
  const port = u.port ? Number(u.port) : 6379;
  const password = u.password ? decodeURIComponent(u.password) : env.REDISCLI_AUTH || env.RDBSCOPE_PASSWORD || undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const tls = u.protocol === 'rediss:';
  let ca: string | undefined;
  if (o.cacert !== undefined) {
    if (!tls) throw new UserError(`--cacert is for TLS: use a rediss:// URL`);
    try {
      ca = readFileSync(o.cacert, 'utf8');
    } catch (e) {
      throw new UserError(`${o.cacert}: cannot read the CA file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { host, port, username, password, tls, ca, source: `${u.protocol}//${shownHost}:${port}` };
}
