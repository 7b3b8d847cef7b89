/**
 * From a rule to the keys it affected (for `plan --rule`, and for the savings of several findings counted once a
 * key). A rule's `@affected` query reports per pattern
 * (`SELECT pattern, COUNT(*) AS keys, ... FROM keys ... WHERE ... GROUP BY pattern [HAVING ...]`); a plan needs
 * the keys themselves. The key-level query is derived from it: the same FROM and WHERE with the key columns
 * selected instead of the aggregates, restricted to the patterns the rule itself reports (which carries any
 * HAVING or CTE condition over). A rule whose query does not have that shape is refused with a clear message.
 */
import { UserError } from '../errors.js';
import { GROUP_CLASSES_SQL } from '../inventory/groups.js';

interface Token {
  /** Upper-cased word at paren depth 0, or '' for anything else. */
  word: string;
  start: number;
  end: number;
}

/** Top-level words of an SQL text (outside strings, quoted names, comments and parentheses). */
function topWords(sql: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      i = sql.indexOf(close, i + 1);
      if (i < 0) return out;
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? sql.length : e + 2;
    } else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      if (depth === 0) out.push({ word: sql.slice(i, j).toUpperCase(), start: i, end: j });
      i = j;
    } else i++;
  }
  return out;
}

interface QueryShape {
  /** The query without a trailing `;`. */
  readonly sql: string;
  /** What comes before its top-level SELECT (a WITH clause). */
  readonly prefix: string;
  /** From its FROM up to its GROUP BY. */
  readonly body: string;
  /** The name the query gives the table it reads FROM. */
  readonly alias: string;
  readonly table: 'KEYS' | 'NOTABLE_KEYS' | 'KEY_GROUPS';
}

/**
 * The parts of a rule's `[WITH ...] SELECT ... FROM table [alias] ... GROUP BY ...` query, one per SELECT of a
 * compound `... UNION ALL SELECT ...` (each with the WITH clause as its prefix).
 */
function queryShapes(ruleId: string, affected: string, tables: ReadonlyArray<QueryShape['table']>): QueryShape[] {
  const sql = affected.trim().replace(/;\s*$/, '');
  const words = topWords(sql);
  const refuse = (why: string): never => {
    throw new UserError(`rule '${ruleId}': cannot derive the affected keys from its query (${why}); use --where instead`);
  };
  const first = words.findIndex((w) => w.word === 'SELECT');
  if (first < 0) refuse('no top-level SELECT');
  const prefix = sql.slice(0, words[first]!.start);
  // [start, end) word ranges of the compound's SELECTs
  const ranges: Array<[number, number]> = [];
  let start = first;
  for (let i = first; i < words.length; i++) {
    const w = words[i]!.word;
    if (w === 'UNION' || w === 'INTERSECT' || w === 'EXCEPT') {
      if (w !== 'UNION' || words[i + 1]?.word !== 'ALL') refuse(`a compound query with ${w}${w === 'UNION' ? ' (not UNION ALL)' : ''}`);
      ranges.push([start, i]);
      start = i + 2;
    }
  }
  ranges.push([start, words.length]);
  return ranges.map(([s0, e0]) => {
    const sel = s0;
    if (words[sel]?.word !== 'SELECT') refuse('no SELECT after UNION ALL');
    const from = words.findIndex((w, i) => i > sel && i < e0 && w.word === 'FROM');
    if (from < 0) refuse('no FROM');
    const group = words.findIndex((w, i) => i > from && i < e0 && w.word === 'GROUP');
    if (group < 0 || words[group + 1]?.word !== 'BY') refuse('no GROUP BY');
    const t = words[from + 1];
    if (!t || !(tables as readonly string[]).includes(t.word)) refuse('it does not read FROM keys');
    const next = words[from + 2]?.word;
    const alias = next && !['WHERE', 'JOIN', 'GROUP', 'LEFT', 'INNER', 'CROSS', 'NATURAL', 'ON'].includes(next)
      ? (next === 'AS' ? words[from + 3]!.word.toLowerCase() : sql.slice(words[from + 2]!.start, words[from + 2]!.end))
      : sql.slice(t!.start, t!.end);
    return {
      sql, alias, table: t!.word as QueryShape['table'], prefix,
      body: sql.slice(words[from]!.start, words[group]!.start),
    };
  });
}

/** The one part of a query that must not be compound. */
function queryShape(ruleId: string, affected: string, tables: ReadonlyArray<QueryShape['table']>): QueryShape {
  const parts = queryShapes(ruleId, affected, tables);
  if (parts.length > 1) {
    throw new UserError(`rule '${ruleId}': cannot derive the affected keys from its query (a compound query); use --where instead`);
  }
  return parts[0]!;
}

/**
 * The key-level query for a rule's `@affected` SQL: returns snapshot_id, db, key (uses the `:snapshot`
 * parameter like the rule does). Throws a UserError when the query's shape is not understood.
 */
export function ruleKeysSql(ruleId: string, affected: string): string {
  const q = queryShape(ruleId, affected, ['KEYS', 'NOTABLE_KEYS']);
  const keysQuery = `${q.prefix}SELECT ${q.alias}.snapshot_id AS snapshot_id, ${q.alias}.db AS db, ${q.alias}.key AS key, ` +
    `COALESCE(${q.alias}.pattern, '(no pattern)') AS rdbscope_pattern ${q.body}`;
  return `SELECT d.snapshot_id, d.db, d.key FROM (${keysQuery}) d\n` +
    `WHERE d.rdbscope_pattern IN (SELECT COALESCE(pattern, '(no pattern)') FROM (${q.sql}))`;
}

/**
 * What a rule's `@affected` SQL selects, at the finest level it can be listed cheaply: the `key_groups` rows of a
 * rule over the summaries (columns gid, pattern), or the keys of a rule over keys or notable_keys (columns db,
 * key, pattern, memory and gid, the key_groups row the key belongs to). Not restricted to the patterns the rule
 * reports: the caller joins them. One query per SELECT of a compound `UNION ALL` query. Throws a UserError when
 * the query's shape is not understood.
 */
export function ruleUnitsSql(ruleId: string, affected: string): Array<{ level: 'group' | 'key'; sql: string }> {
  return queryShapes(ruleId, affected, ['KEYS', 'NOTABLE_KEYS', 'KEY_GROUPS']).map((q) => {
    const a = q.alias;
    if (q.table === 'KEY_GROUPS') {
      return { level: 'group' as const, sql: `${q.prefix}SELECT ${a}.rowid AS gid, COALESCE(${a}.pattern, '(no pattern)') AS pattern ${q.body}` };
    }
    const cols = ['snapshot_id', 'db', 'key', 'type', 'encoding', 'pattern', 'memory', 'length', 'expires_at', 'idle_s', 'freq', 'value_format'];
    const keysQuery = `${q.prefix}SELECT ${cols.map((c) => `${a}.${c} AS ${c}`).join(', ')} ${q.body}`;
    const classes = `SELECT k.*, ${GROUP_CLASSES_SQL} FROM (${keysQuery}) k JOIN snapshots s ON s.id = k.snapshot_id`;
    return {
      level: 'key' as const,
      sql: `SELECT c.db AS db, c.key AS key, COALESCE(c.pattern, '(no pattern)') AS pattern, c.memory AS memory, g.rowid AS gid
        FROM (${classes}) c LEFT JOIN key_groups g ON g.snapshot_id = c.snapshot_id AND g.db = c.db AND g.type = c.type
          AND g.encoding = c.encoding AND g.pattern IS c.pattern AND g.ttl_class = c.tc AND g.memory_class = c.mc
          AND g.length_class IS c.lc AND g.cold = c.cold AND g.json = c.json AND g.short_string = c.short`,
    };
  });
}
