/** Server facts: read from a live server (read-only), stored with a snapshot, and the figures derived from them. */
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { closeAfterWrite, openForWrite } from '../inventory/db.js';
import { lockInventory } from '../inventory/lock.js';
import type { LiveTarget } from '../live/url.js';
import { openClient, readFacts, type Fact } from './read.js';
import { storeFacts } from './store.js';

export { readFacts, openClient, type Fact } from './read.js';
export { factsOf, refusedOf, storeFacts } from './store.js';
export { serverView, viewOfFacts, type ServerView } from './view.js';

/** Reads the server's facts (one connection, closed after). */
export async function fetchFacts(target: LiveTarget): Promise<Fact[]> {
  const c = await openClient(target);
  try {
    return await readFacts(c);
  } finally {
    c.disconnect();
  }
}

/** Stores facts for a snapshot of the inventory at `path` (which must hold it), under the inventory's lock. */
export async function saveFacts(path: string, snapshot: number, source: string, facts: Fact[]): Promise<void> {
  if (!existsSync(path)) throw new UserError(`${path}: no such inventory`);
  const lock = await lockInventory(path, (msg) => process.stderr.write(`rdbscope: ${msg}\n`));
  try {
    const db = openForWrite(path);
    try {
      const row = db.prepare('SELECT status FROM snapshots WHERE id = ?').get(snapshot) as { status: string } | undefined;
      if (!row) throw new UserError(`${path}: no snapshot ${snapshot}`);
      storeFacts(db, snapshot, source, facts);
    } finally {
      closeAfterWrite(db);
    }
  } finally {
    lock.release();
  }
}
