/**
 * Putting backed-up keys back: RESTORE with the DUMP payload and the absolute expiry (ABSTTL), so a key gets the
 * TTL it had, counted from when it was backed up. Only the first backup of a key is used (an interrupted run that
 * resumed may have appended a later one; the first is the state before rdbscope touched it).
 */
import type { Redis } from 'ioredis';
import { readBackup, type BackupRecord } from './backup.js';
import type { Client } from './connect.js';

export type RestoreStatus = 'restored' | 'exists' | 'expired' | 'duplicate' | 'error' | 'broken';

export interface RestoreOutcome {
  /** Null for a broken record (one that does not parse: its line is in detail). */
  readonly record: BackupRecord | null;
  readonly status: RestoreStatus;
  readonly detail: string;
}

export interface RestoreOptions {
  readonly replace: boolean;
  readonly onOutcome: (o: RestoreOutcome) => void;
  readonly batch?: number;
}

export async function restoreBackup(client: Client, cluster: boolean, path: string, o: RestoreOptions): Promise<Record<RestoreStatus, number>> {
  const counts: Record<RestoreStatus, number> = { restored: 0, exists: 0, expired: 0, duplicate: 0, error: 0, broken: 0 };
  const seen = new Set<string>();
  let batch: BackupRecord[] = [];
  let db = -1;
  const emit = (record: BackupRecord | null, status: RestoreStatus, detail: string): void => {
    counts[status]++;
    o.onOutcome({ record, status, detail });
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    if (!cluster && batch[0]!.db !== db) {
      db = batch[0]!.db;
      await (client as Redis).select(db);
    }
    const now = Date.now();
    const replies = await Promise.all(batch.map(async (r) => {
      if (r.expiresAt >= 0 && r.expiresAt <= now) return { status: 'expired' as const, detail: `its TTL ended at ${new Date(r.expiresAt).toISOString()}` };
      const args: Array<string | Buffer> = [r.key, r.expiresAt >= 0 ? String(r.expiresAt) : '0', r.dump];
      if (o.replace) args.push('REPLACE');
      if (r.expiresAt >= 0) args.push('ABSTTL');
      try {
        await client.call('RESTORE', ...args);
        return { status: 'restored' as const, detail: '' };
      } catch (err) {
        const msg = (err as Error).message.split('\n')[0]!;
        if (/^BUSYKEY/.test(msg)) return { status: 'exists' as const, detail: 'the key exists (use --replace to overwrite it)' };
        return { status: 'error' as const, detail: msg };
      }
    }));
    batch.forEach((r, i) => emit(r, replies[i]!.status, replies[i]!.detail));
    batch = [];
  };
  // A broken record (a torn line that a later run appended after): reported, and every whole record still restored.
  for await (const r of readBackup(path, (line, why) => emit(null, 'broken', `${path}:${line}: ${why}`))) {
    if (cluster && r.db !== 0) {
      emit(r, 'error', `database ${r.db}: a cluster has database 0 only`);
      continue;
    }
    const id = `${r.db}:${r.key.toString('base64')}`;
    if (seen.has(id)) {
      emit(r, 'duplicate', 'a later backup of a key already restored from its first backup');
      continue;
    }
    seen.add(id);
    if (batch.length > 0 && (batch[0]!.db !== r.db || batch.length >= (o.batch ?? 100))) await flush();
    batch.push(r);
  }
  await flush();
  return counts;
}
