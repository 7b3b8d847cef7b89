/** Server facts: read from a live server (read-only), stored with a snapshot, and the figures derived from them. */
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { closeAfterWrite, openForRead, openForWrite } from '../inventory/db.js';
import { calibrate, calibrationFacts, type CalibrationResult } from './calibrate.js';
import { lockInventory } from '../inventory/lock.js';
import type { LiveTarget } from '../live/url.js';
import { openClient, readFacts, type Fact } from './read.js';
import { storeFacts } from './store.js';

export { readFacts, openClient, type Fact } from './read.js';
export type { CalibrationResult } from './calibrate.js';
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

/**
 * Reads the server's facts and, with `calibrate` > 0, compares the memory model with MEMORY USAGE on that many
 * keys of the snapshot in the inventory at `inventory` (read-only). One connection, closed after.
 */
export async function fetchFactsCalibrated(target: LiveTarget, inventory: string, snapshot: number, calibrateKeys: number): Promise<{ facts: Fact[]; calibration: CalibrationResult | null }> {
  const c = await openClient(target);
  try {
    const facts = await readFacts(c);
    if (!(calibrateKeys > 0)) return { facts, calibration: null };
    const db = openForRead(inventory);
    try {
      const calibration = await calibrate(c, db, snapshot, calibrateKeys);
      return { facts: [...facts, ...calibrationFacts(calibration)], calibration };
    } finally {
      db.close();
    }
  } finally {
    c.disconnect();
  }
}

/** One line about a calibration. */
export function calibrationLine(r: CalibrationResult): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const hint = r.p90Error > 0.05
    ? `; a large error: if the keys did not change since the snapshot, index it again with --allocator ${r.allocator === 'system' ? 'bundled' : 'system'}`
    : '';
  return `calibration: MEMORY USAGE of ${r.samples} keys against the model (${r.model ?? '?'}, ${r.allocator ?? '?'} jemalloc): ` +
    `median error ${pct(r.medianError)}, p90 ${pct(r.p90Error)}, ${r.exact} exact${r.missing ? `, ${r.missing} keys gone or changed on the server` : ''}${hint}`;
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
