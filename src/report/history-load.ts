/**
 * Reading snapshots and per-pattern figures out of an inventory, for `diff`, `trend` and `metrics`.
 * Only complete snapshots (status = 'complete') are ever used.
 */
import type { Db } from '../inventory/db.js';
import { UserError } from '../errors.js';

export interface SnapshotInfo {
  id: number;
  label: string | null;
  source: string;
  /** Dump creation time, seconds since the epoch (aux ctime), or null when the dump has none. */
  ctime: number | null;
}

export interface PatternStats {
  /** The inferred key family; '(none)' for keys without one. */
  pattern: string;
  keys: number;
  memory: number;
  /** Keys with a TTL. */
  withTtl: number;
  /** Bytes of keys already expired when the dump was written (expires_at < ctime * 1000). */
  expiredBytes: number;
  /** Memory of the largest key. */
  largest: number;
}

/** The name shown for binary keys (not UTF-8) without an inferred pattern. */
export const NO_PATTERN = '(none)';

/**
 * The SQL expression of a key's family for `alias` (a keys row): its inferred pattern; for a key without one
 * (no pattern inference ran), its text up to the first ':' followed by '*' ('user:*'), the whole key when it has
 * no ':', or NO_PATTERN for a key that is not UTF-8. Take it with the parameter NO_PATTERN.
 */
export function familySql(alias: string): string {
  return `COALESCE(${alias}.pattern, CASE WHEN ${alias}.key_text IS NULL THEN ?
    WHEN instr(${alias}.key_text, ':') > 0 THEN substr(${alias}.key_text, 1, instr(${alias}.key_text, ':')) || '*'
    ELSE ${alias}.key_text END)`;
}

/** A span for people: hours below two days, else days. */
export function spanText(months: number): string {
  const hours = months * 30.4375 * 24;
  return hours < 48 ? `${hours.toFixed(1)} hours` : `${(hours / 24).toFixed(1)} days`;
}

/** Average month length in seconds (365.25 / 12 days). */
export const MONTH_S = 30.4375 * 86400;

/** Complete snapshots, oldest first (by dump ctime, then id). */
export function completeSnapshots(db: Db): SnapshotInfo[] {
  return db
    .prepare(`SELECT id, label, source, ctime FROM snapshots WHERE status = 'complete'
              ORDER BY COALESCE(ctime, 0), id`)
    .all() as SnapshotInfo[];
}

/** A snapshot named by id (all digits) or label (the most recent complete one with it). */
export function resolveSnapshot(all: SnapshotInfo[], ref: string, path: string): SnapshotInfo {
  if (/^\d+$/.test(ref)) {
    const byId = all.find((s) => s.id === Number(ref));
    if (byId) return byId;
  }
  const byLabel = all.filter((s) => s.label === ref);
  if (byLabel.length > 0) return byLabel[byLabel.length - 1]!;
  const names = all.map((s) => `${s.id}${s.label !== null ? ` (${s.label})` : ''}`).join(', ');
  throw new UserError(`${path}: no complete snapshot with id or label '${ref}' (complete snapshots: ${names || 'none'})`);
}

/** Per-pattern figures of one snapshot. */
export function patternStats(db: Db, snap: SnapshotInfo): PatternStats[] {
  const now = snap.ctime === null ? null : snap.ctime * 1000;
  return db
    .prepare(`SELECT ${familySql('k')} AS pattern, COUNT(*) AS keys, COALESCE(SUM(memory), 0) AS memory,
                     SUM(expires_at IS NOT NULL) AS withTtl,
                     COALESCE(SUM(CASE WHEN expires_at < ? THEN memory ELSE 0 END), 0) AS expiredBytes,
                     COALESCE(MAX(memory), 0) AS largest
              FROM keys k WHERE snapshot_id = ? GROUP BY 1 ORDER BY 1`)
    .all(NO_PATTERN, now, snap.id) as PatternStats[];
}

/** Months between two snapshots, or null when either has no ctime or they were written at the same second. */
export function monthsBetween(a: SnapshotInfo, b: SnapshotInfo): number | null {
  if (a.ctime === null || b.ctime === null || a.ctime === b.ctime) return null;
  return (b.ctime - a.ctime) / MONTH_S;
}

/**
 * Whether a span is too short for a monthly rate to mean anything to a reader (under a day: an hour's change
 * times 730 is noise, not a trend). Tables show no rate then; the JSON, CSV and metrics keep the computed one.
 */
export function tooShortForRate(months: number | null): boolean {
  return months !== null && months < 1 / 30.4375;
}

/**
 * Simple (not compounded) monthly growth: the change as a fraction of `before`, divided by the months elapsed.
 * Null when it is undefined (no elapsed time, or nothing before).
 */
export function monthlyGrowth(before: number, after: number, months: number | null): number | null {
  if (months === null || months <= 0 || before <= 0) return null;
  return (after - before) / before / months;
}

/** A snapshot for display: its label and id. */
export function snapshotName(s: SnapshotInfo): string {
  return s.label !== null ? `${s.label} (#${s.id})` : `#${s.id}`;
}
