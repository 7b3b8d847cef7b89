/** The figures an operator reads first, derived from a snapshot's server facts (null where a fact is missing). */
import type { Db } from '../inventory/db.js';
import { factsOf, refusedOf } from './store.js';
import type { Fact } from './read.js';

export interface ServerView {
  readonly source: string | null;
  readonly readAt: string | null;
  readonly version: string | null;
  readonly allocator: string | null;
  readonly usedMemory: number | null;
  readonly rss: number | null;
  /** INFO mem_fragmentation_ratio (RSS / used_memory). */
  readonly fragmentation: number | null;
  /** 0: no limit. */
  readonly maxmemory: number | null;
  readonly policy: string | null;
  /** used_memory / maxmemory when there is a limit. */
  readonly maxmemoryShare: number | null;
  readonly headroom: number | null;
  readonly activedefrag: string | null;
  readonly backlog: number | null;
  readonly clientBuffers: number | null;
  readonly evictedKeys: number | null;
  readonly keys: number | null;
  /** Commands the server refused, with its error. */
  readonly refused: Array<{ name: string; error: string }>;
}

const num = (v: string | undefined): number | null => {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** The view of a snapshot's facts, or null when it has none. */
export function serverView(db: Db, snapshot: number): ServerView | null {
  const f = factsOf(db, snapshot);
  const refused = refusedOf(db, snapshot);
  if (f.size === 0 && refused.length === 0) return null;
  const meta = db.prepare("SELECT source, MIN(read_at) AS read_at FROM server_facts WHERE snapshot_id = ?").get(snapshot) as { source: string | null; read_at: string | null };
  return viewOf(f, refused, meta.source, meta.read_at);
}

/** The view of facts just read (not stored). */
export function viewOfFacts(facts: Fact[], source: string): ServerView {
  const f = new Map<string, string>();
  for (const x of facts) if (x.value !== null) f.set(x.name, x.value);
  const refused = facts.filter((x) => x.refused !== null).map((x) => ({ name: x.name, error: x.refused! }));
  return viewOf(f, refused, source, facts[0]?.readAt ?? null);
}

function viewOf(f: Map<string, string>, refused: Array<{ name: string; error: string }>, source: string | null, readAt: string | null): ServerView {
  const meta = { source, read_at: readAt };
  const used = num(f.get('info.memory.used_memory'));
  const max = num(f.get('config.maxmemory') ?? f.get('info.memory.maxmemory'));
  const slaves = num(f.get('memory_stats.clients.slaves'));
  const normal = num(f.get('memory_stats.clients.normal'));
  let keys: number | null = null;
  for (const [name, value] of f) {
    const m = /^info\.keyspace\.db\d+$/.test(name) ? /keys=(\d+)/.exec(value) : null;
    if (m) keys = (keys ?? 0) + Number(m[1]);
  }
  if (keys === null && f.has('info.memory.used_memory')) keys = 0;
  return {
    source: meta.source,
    readAt: meta.read_at,
    version: f.get('info.server.valkey_version') ?? f.get('info.server.redis_version') ?? null,
    allocator: f.get('info.memory.mem_allocator') ?? null,
    usedMemory: used,
    rss: num(f.get('info.memory.used_memory_rss')),
    fragmentation: num(f.get('info.memory.mem_fragmentation_ratio')),
    maxmemory: max,
    policy: f.get('config.maxmemory-policy') ?? f.get('info.memory.maxmemory_policy') ?? null,
    maxmemoryShare: used !== null && max !== null && max > 0 ? used / max : null,
    headroom: used !== null && max !== null && max > 0 ? max - used : null,
    activedefrag: f.get('config.activedefrag') ?? null,
    backlog: num(f.get('memory_stats.replication.backlog')),
    clientBuffers: slaves === null && normal === null ? null : (slaves ?? 0) + (normal ?? 0),
    evictedKeys: num(f.get('info.stats.evicted_keys')),
    keys,
    refused,
  };
}
