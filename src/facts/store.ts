/** server_facts rows: written with a snapshot (index --url) or for one indexed earlier (facts), read by rules and reports. */
import type { Db } from '../inventory/db.js';
import type { Fact } from './read.js';

/** Replaces the facts of `snapshot` (whatever server they came from) with `facts` read from `source`, in one transaction. */
export function storeFacts(db: Db, snapshot: number, source: string, facts: Fact[]): void {
  const del = db.prepare('DELETE FROM server_facts WHERE snapshot_id = ?');
  const ins = db.prepare('INSERT INTO server_facts (snapshot_id, source, name, value, read_at, refused) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    del.run(snapshot);
    for (const f of facts) ins.run(snapshot, source, f.name, f.value, f.readAt, f.refused);
  })();
}

/** Whether the inventory has the server_facts table (older ones do not until written to). */
function hasTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_facts'").get() !== undefined;
}

/** The facts of a snapshot as name -> value (refused ones left out); empty without facts. */
export function factsOf(db: Db, snapshot: number): Map<string, string> {
  const m = new Map<string, string>();
  if (!hasTable(db)) return m;
  const rows = db.prepare('SELECT name, value FROM server_facts WHERE snapshot_id = ? AND value IS NOT NULL ORDER BY rowid').raw().all(snapshot) as Array<[string, string]>;
  for (const [n, v] of rows) m.set(n, v);
  return m;
}

/** The commands the server refused, with its error. */
export function refusedOf(db: Db, snapshot: number): Array<{ name: string; error: string }> {
  if (!hasTable(db)) return [];
  return db.prepare('SELECT name, refused AS error FROM server_facts WHERE snapshot_id = ? AND refused IS NOT NULL ORDER BY rowid').all(snapshot) as never;
}
