/**
 * Keys, keys with an expiry and memory per database of a dump, with the RESIZEDB hints: the same tally for
 * `rdbscope info` and for the inventory's `dbs` table.
 */

export interface DbCounts {
  db: number;
  keys: number;
  expires: number;
  /** Sum of the memory figures given to add(). */
  memory: number;
  /** RESIZEDB hints, when the dump has them. */
  resizeKeys: number | null;
  resizeExpires: number | null;
}

export class DbTally {
  private readonly byDb = new Map<number, DbCounts>();

  /** A RESIZEDB opcode. */
  resize(db: number, keys: number, expires: number): void {
    const d = this.get(db);
    d.resizeKeys = keys;
    d.resizeExpires = expires;
  }

  /** One key of `db`. */
  add(db: number, expiresAtMs: number | null, memory: number): void {
    const d = this.get(db);
    d.keys++;
    if (expiresAtMs !== null) d.expires++;
    d.memory += memory;
  }

  /** Every database seen, by number. */
  list(): DbCounts[] {
    return [...this.byDb.values()].sort((a, b) => a.db - b.db);
  }

  private get(db: number): DbCounts {
    let d = this.byDb.get(db);
    if (!d) {
      d = { db, keys: 0, expires: 0, memory: 0, resizeKeys: null, resizeExpires: null };
      this.byDb.set(db, d);
    }
    return d;
  }
}
