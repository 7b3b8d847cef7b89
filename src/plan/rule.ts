/**
 * From a rule (src/rules/) to the keys a plan touches. A rule's `@affected` query reports per pattern
 * (`SELECT pattern, COUNT(*) AS keys, ... FROM keys ... WHERE ... GROUP BY pattern [HAVING ...]`); a plan needs
 * the keys themselves. The key-level query is derived from it: the same FROM and WHERE with the key columns
 * selected instead of the aggregates, restricted to the patterns the rule itself reports (which carries any
 * HAVING or CTE condition over). A rule whose query does not have that shape is refused with a clear message.
 */
import { UserError } from '../errors.js';
import type { Action } from './model.js';

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

/**
 * The key-level query for a rule's `@affected` SQL: returns snapshot_id, db, key (uses the `:snapshot`
 * parameter like the rule does). Throws a UserError when the query's shape is not understood.
 */
export function ruleKeysSql(ruleId: string, affected: string): string {
  const sql = affected.trim().replace(/;\s*$/, '');
  const words = topWords(sql);
  const refuse = (why: string): never => {
    throw new UserError(`rule '${ruleId}': cannot derive the affected keys from its query (${why}); use --where instead`);
  };
  let sel = -1;
  for (let i = 0; i < words.length; i++) if (words[i]!.word === 'SELECT') sel = i;
  if (sel < 0) refuse('no top-level SELECT');
  const from = words.findIndex((w, i) => i > sel && w.word === 'FROM');
  if (from < 0) refuse('no FROM');
  const group = words.findIndex((w, i) => i > from && w.word === 'GROUP');
  if (group < 0 || words[group + 1]?.word !== 'BY') refuse('no GROUP BY');
  const t = words[from + 1];
  if (t?.word !== 'KEYS' && t?.word !== 'NOTABLE_KEYS') refuse('it does not read FROM keys');
  const next = words[from + 2]?.word;
  const alias = next && !['WHERE', 'JOIN', 'GROUP', 'LEFT', 'INNER', 'CROSS', 'NATURAL', 'ON'].includes(next)
    ? (next === 'AS' ? words[from + 3]!.word.toLowerCase() : sql.slice(words[from + 2]!.start, words[from + 2]!.end))
    : sql.slice(t!.start, t!.end);
  const prefix = sql.slice(0, words[sel]!.start);
  const body = sql.slice(words[from]!.start, words[group]!.start);
  const keysQuery = `${prefix}SELECT ${alias}.snapshot_id AS snapshot_id, ${alias}.db AS db, ${alias}.key AS key, ` +
    `COALESCE(${alias}.pattern, '(no pattern)') AS rdbscope_pattern ${body}`;
  return `SELECT d.snapshot_id, d.db, d.key FROM (${keysQuery}) d\n` +
    `WHERE d.rdbscope_pattern IN (SELECT COALESCE(pattern, '(no pattern)') FROM (${sql}))`;
}

/** The action a rule's fix implies, when it implies one (otherwise --action must say). */
export function impliedAction(ruleId: string): Action | null {
  const map: Record<string, Action> = {
    'expired-keys': 'unlink',
    'blocking-delete': 'unlink',
    'ttl-session': 'expire',
    'ttl-partial': 'expire',
    'ttl-long-temporary': 'cap-ttl',
    'large-list': 'trim',
  };
  return map[ruleId] ?? null;
}
