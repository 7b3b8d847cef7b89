/**
 * What an apply freed, measured on the server with read-only commands: `used_memory` (summed over the masters of
 * a cluster) before the first command and after the last, once the background frees of UNLINK are done
 * (`lazyfree_pending_objects` back to 0, at most a few seconds).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Client } from './connect.js';

function field(info: string, name: string): number | null {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : null;
}

async function nodes(client: Client, cluster: boolean): Promise<Redis[]> {
  return cluster ? (client as Cluster).nodes('master') : [client as Redis];
}

/** used_memory summed over the nodes, and the objects still waiting to be freed in the background. */
async function usedMemory(client: Client, cluster: boolean): Promise<{ used: number; pending: number }> {
  let used = 0;
  let pending = 0;
  for (const n of await nodes(client, cluster)) {
    const info = await n.info('memory');
    used += field(info, 'used_memory') ?? 0;
    pending += field(info, 'lazyfree_pending_objects') ?? 0;
  }
  return { used, pending };
}

export async function memoryBefore(client: Client, cluster: boolean): Promise<number> {
  return (await usedMemory(client, cluster)).used;
}

/** used_memory after the run, once the background frees are done (or after `waitMs`). */
export async function memoryAfter(client: Client, cluster: boolean, waitMs = 5000): Promise<number> {
  const until = Date.now() + waitMs;
  for (;;) {
    const m = await usedMemory(client, cluster);
    if (m.pending === 0 || Date.now() >= until) return m.used;
    await new Promise((r) => setTimeout(r, 50));
  }
}
