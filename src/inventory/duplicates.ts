/**
 * Key families that hold the same data twice: pairs of families whose variable parts are the same ids
 * (`sess:{uuid}` and `session:{uuid}` with the same uuids; `timeline:{int}` and `timeline:c:{int}` for the same
 * users). Computed in SQL when a snapshot completes, in bounded memory: the ids of the candidate families go to a
 * temporary table that SQLite indexes (sorting on disk when it must), and the pairs come from a join on it.
 *
 * Candidates are families with one placeholder whose names are related: the same placeholder, a shared word stem
 * of at least 4 letters (`sess` / `session`), and, for ids that are not random (ints, dates...), nothing else in
 * the names but format or version markers (`c`, `z`, `gz`, `v2`, `json`, `old`...): `user:{int}` and
 * `user:cart:{int}` are one user's different data, not a copy.
 */
import type { Db } from './db.js';

/** Families smaller than this are not compared; a pair must share this many ids. */
const MIN_KEYS = 10;
/** Share of the smaller family's keys whose ids the other family has too. */
const MIN_SHARED_SHARE = 0.5;
/** Families compared at most (the largest). */
const MAX_CANDIDATES = 500;
const RANDOM_IDS = new Set(['{uuid}', '{hex}', '{ulid}', '{token}']);
const MARKERS = /^(?:[a-z]{1,2}|v[0-9]+|gz|gzip|zip|zlib|zstd|lz4|snappy|compressed|packed|msgpack|mp|json|bin|old|new|legacy|prev|next|bak|backup|copy|tmp|cache|cached)$/;

interface Candidate {
  pattern: string;
  keys: number;
  placeholder: string;
  prefix: string;
  suffix: string;
  words: string[];
}

function candidate(pattern: string, keys: number): Candidate | null {
  const ph = pattern.match(/\{[a-z]+\}/g);
  if (!ph || ph.length !== 1) return null;
  const at = pattern.indexOf(ph[0]);
  const prefix = pattern.slice(0, at);
  const suffix = pattern.slice(at + ph[0].length);
  const words = (prefix + ' ' + suffix).toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);
  return { pattern, keys, placeholder: ph[0], prefix, suffix, words };
}

const stem = (a: string, b: string): boolean => a.length >= 4 && b.length >= 4 && (a.startsWith(b) || b.startsWith(a));

/** Whether two families' names are related enough to compare their ids. */
export function relatedNames(a: Candidate, b: Candidate): boolean {
  if (a.placeholder !== b.placeholder || a.pattern === b.pattern) return false;
  const matchedA = new Set<number>();
  const matchedB = new Set<number>();
  a.words.forEach((x, i) => b.words.forEach((y, j) => {
    if (x === y || stem(x, y)) { matchedA.add(i); matchedB.add(j); }
  }));
  if (![...matchedA].some((i) => a.words[i]!.length >= 4)) return false;
  if (RANDOM_IDS.has(a.placeholder)) return true;
  const rest = [...a.words.filter((_, i) => !matchedA.has(i)), ...b.words.filter((_, j) => !matchedB.has(j))];
  return rest.every((w) => MARKERS.test(w));
}

export interface DuplicatePair {
  a: string;
  b: string;
  shared: number;
}

/**
 * Finds the pairs of snapshot `id` (its rows are rowids first..last) and writes duplicate_families and
 * duplicate_keys. Runs inside the writer's completing transaction, after key_groups and value_shapes.
 */
export function writeDuplicates(db: Db, id: number, first: number, last: number): void {
  const fams = db.prepare(`SELECT pattern, SUM(keys) AS keys FROM key_groups WHERE snapshot_id = ? AND pattern IS NOT NULL
    GROUP BY pattern HAVING SUM(keys) >= ? ORDER BY SUM(keys) DESC LIMIT ?`).all(id, MIN_KEYS, MAX_CANDIDATES) as Array<{ pattern: string; keys: number }>;
  const cands = fams.map((f) => candidate(f.pattern, f.keys)).filter((c): c is Candidate => c !== null);
  const pairs: Array<[Candidate, Candidate]> = [];
  for (let i = 0; i < cands.length; i++) {
    for (let j = i + 1; j < cands.length; j++) if (relatedNames(cands[i]!, cands[j]!)) pairs.push([cands[i]!, cands[j]!]);
  }
  if (pairs.length === 0) return;
  const used = new Map<string, Candidate>();
  for (const [a, b] of pairs) { used.set(a.pattern, a); used.set(b.pattern, b); }
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS dup_cand (pattern TEXT PRIMARY KEY, prefix BLOB NOT NULL, plen INTEGER NOT NULL, slen INTEGER NOT NULL);
    CREATE TEMP TABLE IF NOT EXISTS dup_pairs (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
    CREATE TEMP TABLE IF NOT EXISTS dup_ids (pattern TEXT NOT NULL, id BLOB NOT NULL, row INTEGER NOT NULL);
    DELETE FROM temp.dup_cand; DELETE FROM temp.dup_pairs; DROP INDEX IF EXISTS temp.dup_ids_by_id; DELETE FROM temp.dup_ids;`);
  const insC = db.prepare('INSERT INTO temp.dup_cand (pattern, prefix, plen, slen) VALUES (?, ?, ?, ?)');
  for (const c of used.values()) {
    const p = Buffer.from(c.prefix);
    insC.run(c.pattern, p, p.length, Buffer.byteLength(c.suffix));
  }
  const insP = db.prepare('INSERT OR IGNORE INTO temp.dup_pairs (a, b) VALUES (?, ?)');
  for (const [a, b] of pairs) insP.run(a.pattern < b.pattern ? a.pattern : b.pattern, a.pattern < b.pattern ? b.pattern : a.pattern);
  // The variable part of each key of a candidate family (the key without the pattern's fixed prefix and suffix).
  db.prepare(`INSERT INTO temp.dup_ids (pattern, id, row)
    SELECT k.pattern, substr(k.key, c.plen + 1, length(k.key) - c.plen - c.slen), k.rowid
    FROM keys k JOIN temp.dup_cand c ON c.pattern = k.pattern
    WHERE k.rowid BETWEEN ? AND ? AND k.snapshot_id = ? AND substr(k.key, 1, c.plen) = c.prefix AND length(k.key) > c.plen + c.slen`)
    .run(first, last, id);
  db.exec('CREATE INDEX temp.dup_ids_by_id ON dup_ids(id, pattern)');
  const found = db.prepare(`SELECT p.a AS a, p.b AS b, COUNT(*) AS shared FROM temp.dup_pairs p
    JOIN temp.dup_ids x ON x.pattern = p.a JOIN temp.dup_ids y ON y.id = x.id AND y.pattern = p.b
    GROUP BY p.a, p.b`).all() as DuplicatePair[];
  const keep = found.filter((f) => {
    const small = Math.min(used.get(f.a)!.keys, used.get(f.b)!.keys);
    return f.shared >= MIN_KEYS && f.shared >= MIN_SHARED_SHARE * small;
  });
  if (keep.length === 0) return;
  db.exec('DELETE FROM temp.dup_pairs');
  for (const f of keep) insP.run(f.a, f.b);
  // Shared keys of each side, then per side what tells the older one.
  db.prepare(`INSERT INTO duplicate_keys (snapshot_id, pattern, other, key_row)
    SELECT ?, x.pattern, y.pattern, x.row FROM temp.dup_pairs p
    JOIN temp.dup_ids x ON x.pattern IN (p.a, p.b)
    JOIN temp.dup_ids y ON y.id = x.id AND y.pattern = CASE WHEN x.pattern = p.a THEN p.b ELSE p.a END`).run(id);
  const side = db.prepare(`SELECT COUNT(*) AS keys, SUM(k.memory) AS memory, AVG(k.idle_s) AS idle, MIN(k.idle_s) AS idle_min,
      SUM(k.expires_at IS NOT NULL) * 1.0 / COUNT(*) AS ttl_share, SUM(k.value_format = 'json') * 1.0 / COUNT(*) AS json_share
    FROM duplicate_keys d JOIN keys k ON k.rowid = d.key_row
    WHERE d.snapshot_id = ? AND d.pattern = ? AND d.other = ?`);
  const shape = db.prepare(`SELECT
      COALESCE((SELECT SUM(share) FROM value_formats WHERE snapshot_id = @id AND pattern = @p AND format IN ('gzip', 'zlib', 'zstd', 'lz4', 'snappy', 'msgpack', 'protobuf')), 0) AS packed,
      COALESCE((SELECT SUM(share) FROM value_formats WHERE snapshot_id = @id AND pattern = @p AND format LIKE 'json-%'), 0) AS json`);
  const ins = db.prepare(`INSERT INTO duplicate_families (snapshot_id, pattern, other, shared_ids, keys, memory, other_keys,
    other_memory, older, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const f of keep) {
    type Side = { keys: number; memory: number; idle: number | null; idle_min: number | null; ttl_share: number; json_share: number };
    const sa = side.get(id, f.a, f.b) as Side;
    const sb = side.get(id, f.b, f.a) as Side;
    const ha = shape.get({ id, p: f.a }) as { packed: number; json: number };
    const hb = shape.get({ id, p: f.b }) as { packed: number; json: number };
    const { olderA, reasons } = older(f, sa, sb, ha, hb, used.get(f.a)!.keys, used.get(f.b)!.keys);
    const reason = reasons.join('; ');
    ins.run(id, f.a, f.b, f.shared, sa.keys, sa.memory, sb.keys, sb.memory, olderA ? 1 : 0, reason);
    ins.run(id, f.b, f.a, f.shared, sb.keys, sb.memory, sa.keys, sa.memory, olderA ? 0 : 1, reason);
  }
}

/**
 * Which side looks older, and why: the one written less recently (higher idle time, when the dump has it: the
 * other is still written to), the one in the plainer format (JSON beside compressed or packed values), the one
 * without TTLs beside one with them (left behind), and last the smaller family.
 */
function older(
  f: DuplicatePair,
  a: { idle: number | null; idle_min: number | null; ttl_share: number; json_share: number },
  b: { idle: number | null; idle_min: number | null; ttl_share: number; json_share: number },
  ha: { packed: number; json: number }, hb: { packed: number; json: number }, keysA: number, keysB: number,
): { olderA: boolean; reasons: string[] } {
  let score = 0; // > 0: a is older
  const reasons: string[] = [];
  if (a.idle !== null && b.idle !== null && Math.abs(a.idle - b.idle) > 0.1 * Math.max(a.idle, b.idle, 1)) {
    const aOld = a.idle > b.idle;
    score += aOld ? 4 : -4;
    reasons.push(`${aOld ? f.a : f.b} idle ${Math.round(aOld ? a.idle : b.idle)} s on average against ${Math.round(aOld ? b.idle : a.idle)} s: ${aOld ? f.b : f.a} is still written`);
  }
  if (Math.abs(ha.packed - hb.packed) >= 0.5 && Math.abs(ha.json - hb.json) >= 0.5) {
    const aOld = ha.json > hb.json;
    score += aOld ? 2 : -2;
    reasons.push(`${aOld ? f.a : f.b} holds JSON, ${aOld ? f.b : f.a} compressed or packed values`);
  }
  if (Math.abs(a.ttl_share - b.ttl_share) >= 0.5) {
    const aOld = a.ttl_share < b.ttl_share;
    score += aOld ? 1 : -1;
    reasons.push(`${aOld ? f.a : f.b} has no TTLs where ${aOld ? f.b : f.a} has`);
  }
  if (score === 0) {
    const aOld = keysA < keysB || (keysA === keysB && f.a < f.b);
    score = aOld ? 0.5 : -0.5;
    reasons.push(`${aOld ? f.a : f.b} is the smaller family`);
  }
  return { olderA: score > 0, reasons };
}
