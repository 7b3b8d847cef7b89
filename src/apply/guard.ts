/**
 * The per-key guard, run atomically on the server as one Lua script (EVALSHA through ioredis defineCommand): the
 * key must still have the type, TTL state and size (within a tolerance) the snapshot recorded. Modes:
 * `check` only answers; `dump` also returns DUMP and the absolute expiry for the backup; `apply` runs the command,
 * after checking that the key's DUMP is still the one backed up (its sha1), when a backup was taken. For HDEL, the
 * guard counts the named fields the hash has (HEXISTS): none is `noop`, in every mode (nothing to run).
 */
import { createHash } from 'node:crypto';
import type { Client } from './connect.js';
import type { Guard } from '../plan/model.js';

const SCRIPT = `
local key = KEYS[1]
local t = redis.call('TYPE', key)['ok']
if t == 'none' then return {'missing', 'the key no longer exists'} end
local std = {string=1, list=1, set=1, zset=1, hash=1, stream=1}
if t ~= ARGV[2] and not (ARGV[2] == 'module' and std[t] == nil) then
  return {'changed', 'type is ' .. t .. ', was ' .. ARGV[2]}
end
local pttl = redis.call('PTTL', key)
if ARGV[3] == 'none' and pttl >= 0 then return {'changed', 'it has a TTL now, it had none'} end
if ARGV[3] == 'set' and pttl < 0 then return {'changed', 'it has no TTL now, it had one'} end
local len = -1
if t == 'string' then len = redis.call('STRLEN', key)
elseif t == 'list' then len = redis.call('LLEN', key)
elseif t == 'set' then len = redis.call('SCARD', key)
elseif t == 'zset' then len = redis.call('ZCARD', key)
elseif t == 'hash' then len = redis.call('HLEN', key)
elseif t == 'stream' then len = redis.call('XLEN', key) end
local want = tonumber(ARGV[4])
if want >= 0 and len >= 0 and math.abs(len - want) > want * tonumber(ARGV[5]) then
  return {'changed', 'size is ' .. len .. ', was ' .. want}
end
-- HDEL: which of the named fields the hash still has (a plan naming none of them would change nothing)
if ARGV[7] and string.upper(ARGV[7]) == 'HDEL' then
  local n = 0
  for i = 8, #ARGV do n = n + redis.call('HEXISTS', key, ARGV[i]) end
  if n == 0 then return {'noop', 'none of its ' .. (#ARGV - 7) .. ' named fields exist'} end
  if ARGV[1] == 'check' then return {'ok', n .. ' of ' .. (#ARGV - 7) .. ' named fields exist'} end
end
if ARGV[1] == 'check' then return {'ok', ''} end
if ARGV[1] == 'dump' then
  local at = -1
  if pttl >= 0 then
    -- PEXPIRETIME (Redis 7.0+) is exact; TIME + PTTL can be off by a millisecond and serves older servers.
    local exact = redis.pcall('PEXPIRETIME', key)
    if type(exact) == 'number' then
      at = exact
    else
      local now = redis.call('TIME')
      at = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + pttl
    end
  end
  return {'ok', tostring(len), redis.call('DUMP', key), string.format('%d', at)}
end
if ARGV[6] ~= '' and redis.sha1hex(redis.call('DUMP', key)) ~= ARGV[6] then
  return {'changed', 'its content differs from the backup just taken'}
end
local cmd = {ARGV[7], key}
for i = 8, #ARGV do cmd[#cmd + 1] = ARGV[i] end
local r = redis.pcall(unpack(cmd))
if type(r) == 'table' and r.err then return {'error', r.err} end
return {'done', tostring(r)}
`;

export type GuardStatus = 'ok' | 'missing' | 'changed' | 'done' | 'error' | 'noop';

export interface GuardReply {
  readonly status: GuardStatus;
  /** Why the key was refused, the error text, or the command's reply. */
  readonly detail: string;
  readonly dump?: Buffer;
  /** Absolute expiry in ms since the epoch, or -1 (no TTL). */
  readonly expiresAt?: number;
}

type GuardFn = (key: Buffer, ...args: Array<string | Buffer>) => Promise<Buffer[]>;

/** Registers the script on the client (idempotent). */
export function defineGuard(client: Client): void {
  if (!(client as unknown as Record<string, unknown>).rdbscopeGuard) {
    client.defineCommand('rdbscopeGuard', { numberOfKeys: 1, lua: SCRIPT });
  }
}

export function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

/**
 * Runs the guard for one key. `command` is the plan command's name and its arguments after the key (in `check`
 * and `dump` mode, only HDEL's are read: for its field check).
 */
export async function runGuard(
  client: Client, mode: 'check' | 'dump' | 'apply', key: Buffer, g: Guard, tolerance: number,
  digest: string, command: Buffer[],
): Promise<GuardReply> {
  const fn = (client as unknown as Record<string, GuardFn>).rdbscopeGuardBuffer!.bind(client);
  const r = await fn(key, mode, g.type, g.ttl, String(g.len), String(tolerance), digest, ...command);
  const status = r[0]!.toString() as GuardStatus;
  if (mode === 'dump' && status === 'ok') {
    return { status, detail: '', dump: r[2]!, expiresAt: Number(r[3]!.toString()) };
  }
  return { status, detail: r[1] ? r[1].toString() : '' };
}
