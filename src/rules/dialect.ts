/**
 * The rules' SQL (SQLite's dialect, with a `:snapshot` parameter) for other engines: DuckDB, Spark SQL and Trino,
 * over the tables of a Parquet dataset (rdbscope export) under the inventory's names. One translation, applied
 * to the text of a query (tokens and parentheses, no schema), written so that each engine computes what SQLite
 * does:
 *
 * - numbers with a decimal point are REAL in SQLite and DECIMAL elsewhere: they get an exponent (`1.25E0`), which
 *   makes them DOUBLE in every engine;
 * - `CAST(x AS INTEGER)`: SQLite truncates a number toward zero and reads the digits a text starts with
 *   ('7.0.15' is 7); the others round or refuse: a number becomes `CAST(trunc(x) AS BIGINT)` (Spark's cast
 *   truncates), a text (a call to substr, replace, lower, upper, trim, a string literal or a text column such as
 *   server_facts.value) the BIGINT of its
 *   leading digits (`regexp_extract`), NULL when there are none;
 * - `printf(format, ...)`: `%d` arguments are cast to BIGINT as above, `%.Nf` arguments rounded half away from
 *   zero to N places first (SQLite rounds on the decimal digits, the others on the binary value); Spark keeps
 *   `printf`, Trino calls it `format`;
 * - `group_concat(x[, sep])` is `string_agg` (DuckDB), `array_join(collect_list(x), sep)` (Spark),
 *   `array_join(array_agg(x), sep)` (Trino); with DISTINCT, collect_set / array_agg(DISTINCT);
 * - two-argument `MAX(a, b)` / `MIN(a, b)` are `greatest` / `least`;
 * - `length(x)` of the byte columns (key, key_min, field) is `octet_length` in DuckDB (bytes, like SQLite);
 * - `instr` is `strpos` and `hex` is `to_hex` in Trino;
 * - `datetime(x, 'unixepoch')` is formatted as 'YYYY-MM-DD HH:MM:SS' in UTC with each engine's functions (Spark
 *   formats in its session time zone: set spark.sql.session.timeZone=UTC);
 * - `a || b` concatenates texts of any type: in Spark and Trino each operand is cast to a string;
 * - `LIKE` ignores ASCII case in SQLite: ILIKE in DuckDB and Spark, lower() on both sides in Trino;
 * - `a IS b` with b not NULL is `IS NOT DISTINCT FROM`;
 * - columns an aggregate query selects without grouping or aggregating them (SQLite takes them from some row of
 *   the group) are wrapped in `any_value` (DuckDB, Spark) or `arbitrary` (Trino);
 * - in Trino, an alias of the select list used in HAVING is replaced by its expression;
 * - in Spark, string literals are written with backslash escapes ('it''s' is 'it\'s');
 * - `/` between integers divides to an integer in SQLite and Trino; DuckDB does so with its session setting
 *   `integer_division` (set by the setup statements); Spark's `/` always gives a fraction (the built-in rules
 *   divide by REAL values only; a rule of yours that relies on integer division should use `div` there).
 * - `:snapshot`: DuckDB `getvariable('snapshot')` (after `SET VARIABLE snapshot = N`), Spark `:snapshot` (a
 *   named parameter marker: spark.sql(query, args={"snapshot": N})), Trino `?` (EXECUTE ... USING N, once per
 *   marker); or the id itself when one is given.
 */

import { PARTITIONED_TABLES, SNAPSHOTS_TABLE } from '../export/tables.js';

export type Dialect = 'sqlite' | 'duckdb' | 'spark' | 'trino';
export const DIALECTS: readonly Dialect[] = ['sqlite', 'duckdb', 'spark', 'trino'];

interface Tok {
  readonly t: 'tok';
  readonly kind: 'ws' | 'comment' | 'str' | 'ident' | 'qident' | 'num' | 'param' | 'op' | 'punct' | 'raw';
  readonly text: string;
}
interface Group {
  readonly t: 'group';
  items: Node[];
}
type Node = Tok | Group;

const tok = (kind: Tok['kind'], text: string): Tok => ({ t: 'tok', kind, text });
const group = (items: Node[]): Group => ({ t: 'group', items });

function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) out.push(tok('ws', m[0]));
    else if ((m = /^--[^\n]*/.exec(rest)) || (m = /^\/\*[\s\S]*?(\*\/|$)/.exec(rest))) out.push(tok('comment', m[0]));
    else if (c === "'") {
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf("'", j);
        if (k < 0) { j = sql.length; break; }
        if (sql[k + 1] === "'") { j = k + 2; continue; }
        j = k + 1;
        break;
      }
      out.push(tok('str', sql.slice(i, j)));
      i = j;
      continue;
    } else if ((m = /^"(?:[^"]|"")*"/.exec(rest)) || (m = /^`[^`]*`/.exec(rest)) || (m = /^\[[^\]]*\]/.exec(rest))) out.push(tok('qident', m[0]));
    else if ((m = /^(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/.exec(rest))) out.push(tok('num', m[0]));
    else if ((m = /^[:@$][A-Za-z_][A-Za-z0-9_]*/.exec(rest))) out.push(tok('param', m[0]));
    else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) out.push(tok('ident', m[0]));
    else if ((m = /^(?:\|\||<>|<=|>=|!=|==)/.exec(rest))) out.push(tok('op', m[0]));
    else out.push(tok('punct', c));
    i += out[out.length - 1]!.text.length;
  }
  return out;
}

function parse(sql: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const t of tokenize(sql)) {
    if (t.kind === 'punct' && t.text === '(') {
      const g = group([]);
      stack[stack.length - 1]!.push(g);
      stack.push(g.items);
    } else if (t.kind === 'punct' && t.text === ')' && stack.length > 1) stack.pop();
    else stack[stack.length - 1]!.push(t);
  }
  return root;
}

function render(nodes: readonly Node[]): string {
  return nodes.map((n) => (n.t === 'tok' ? n.text : `(${render(n.items)})`)).join('');
}

const isWs = (n: Node | undefined): boolean => n !== undefined && n.t === 'tok' && (n.kind === 'ws' || n.kind === 'comment');
const word = (n: Node | undefined): string => (n && n.t === 'tok' && n.kind === 'ident' ? n.text.toUpperCase() : '');

function nextIdx(nodes: readonly Node[], i: number): number {
  let j = i + 1;
  while (j < nodes.length && isWs(nodes[j])) j++;
  return j;
}
function prevIdx(nodes: readonly Node[], i: number): number {
  let j = i - 1;
  while (j >= 0 && isWs(nodes[j])) j--;
  return j;
}

/** Splits a group's items at its top-level commas. */
function splitArgs(items: readonly Node[]): Node[][] {
  const out: Node[][] = [[]];
  for (const n of items) {
    if (n.t === 'tok' && n.kind === 'punct' && n.text === ',') out.push([]);
    else out[out.length - 1]!.push(n);
  }
  return out;
}

function trimWs(nodes: Node[]): Node[] {
  let a = 0;
  let b = nodes.length;
  while (a < b && isWs(nodes[a])) a++;
  while (b > a && isWs(nodes[b - 1])) b--;
  return nodes.slice(a, b);
}

const KEYWORDS = new Set(('SELECT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET UNION ALL INTERSECT EXCEPT WITH AS AND OR NOT ' +
  'NULL IS IN LIKE GLOB BETWEEN CASE WHEN THEN ELSE END DISTINCT JOIN LEFT RIGHT INNER OUTER CROSS ON USING ' +
  'ASC DESC OVER PARTITION ROWS RANGE EXISTS TRUE FALSE CAST INTEGER TEXT REAL BIGINT DOUBLE VARCHAR ESCAPE ILIKE FILTER').split(' '));

const AGGREGATES = new Set(['SUM', 'COUNT', 'AVG', 'TOTAL', 'GROUP_CONCAT', 'STRING_AGG', 'ANY_VALUE', 'ARBITRARY',
  'ROW_NUMBER', 'FIRST_VALUE', 'LAST_VALUE', 'RANK', 'DENSE_RANK']);

/** The byte columns of the inventory (SQLite length() counts their bytes). */
const BYTE_COLUMNS = new Set(['KEY', 'KEY_MIN', 'FIELD']);

interface Ctx {
  readonly dialect: Exclude<Dialect, 'sqlite'>;
  readonly snapshot?: number;
}

// ---- pass 1: tokens --------------------------------------------------------------------------------------

function sparkString(s: string): string {
  const body = s.slice(1, -1).replace(/''/g, "'");
  return `'${body.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function passTokens(nodes: Node[], cx: Ctx): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.t === 'group') {
      out.push(group(passTokens(n.items, cx)));
      continue;
    }
    if (n.kind === 'num' && /\./.test(n.text) && !/[eE]/.test(n.text)) out.push(tok('num', `${n.text}E0`));
    else if (n.kind === 'param' && n.text.slice(1).toLowerCase() === 'snapshot') {
      if (cx.snapshot !== undefined) out.push(tok('num', String(cx.snapshot)));
      else out.push(tok('raw', cx.dialect === 'duckdb' ? "getvariable('snapshot')" : cx.dialect === 'spark' ? ':snapshot' : '?'));
    } else if (n.kind === 'str' && cx.dialect === 'spark') out.push(tok('str', sparkString(n.text)));
    else if (word(n) === 'IS') {
      const j = nextIdx(nodes, i);
      const w = word(nodes[j]);
      if (w === 'NULL') out.push(n);
      else if (w === 'NOT') {
        const k = nextIdx(nodes, j);
        if (word(nodes[k]) === 'NULL' || word(nodes[k]) === 'DISTINCT') out.push(n);
        else {
          out.push(tok('raw', 'IS DISTINCT FROM'));
          i = j; // the NOT is consumed
        }
      } else if (w === 'DISTINCT') out.push(n);
      else out.push(tok('raw', 'IS NOT DISTINCT FROM'));
    } else out.push(n);
  }
  return out;
}

// ---- pass 2: bare columns of aggregate queries ------------------------------------------------------------

/** [start, end) of each SELECT of a level (split at UNION / INTERSECT / EXCEPT). */
function selects(nodes: readonly Node[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i < nodes.length; i++) {
    const w = word(nodes[i]);
    if (w === 'SELECT' && start < 0) start = i;
    else if ((w === 'UNION' || w === 'INTERSECT' || w === 'EXCEPT') && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  if (start >= 0) out.push([start, nodes.length]);
  return out;
}

function findWord(nodes: readonly Node[], from: number, to: number, w: string): number {
  for (let i = from; i < to; i++) if (word(nodes[i]) === w) return i;
  return -1;
}

interface Ref {
  readonly list: Node[];
  readonly at: number;
  readonly len: number;
  readonly name: string;
}

/** The column references (`a.b` or `b`) of list[from, to) outside aggregate calls, windows and subqueries. */
function bareRefs(list: Node[], from: number, to: number, out: Ref[]): void {
  for (let i = from; i < to; i++) {
    const n = list[i]!;
    if (n.t === 'group') {
      if (word(n.items.find((x) => !isWs(x))) === 'SELECT') continue; // a subquery
      const fn = word(list[prevIdx(list, i)]);
      if (fn && (AGGREGATES.has(fn) || ((fn === 'MIN' || fn === 'MAX') && splitArgs(n.items).length === 1))) continue;
      if (word(list[nextIdx(list, i)]) === 'OVER') continue;
      bareRefs(n.items, 0, n.items.length, out);
      continue;
    }
    if (n.kind !== 'ident' && n.kind !== 'qident') continue;
    if (n.kind === 'ident' && KEYWORDS.has(n.text.toUpperCase())) continue;
    const after = list[i + 1];
    if (after && after.t === 'group') continue; // a call
    const before = list[i - 1];
    if (before && before.t === 'tok' && before.text === '.') continue;
    if (after && after.t === 'tok' && after.text === '.' && list[i + 2]?.t === 'tok') {
      if (list[i + 3]?.t === 'group') { i += 2; continue; }
      out.push({ list, at: i, len: 3, name: `${n.text}.${(list[i + 2] as Tok).text}`.toLowerCase() });
      i += 2;
      continue;
    }
    out.push({ list, at: i, len: 1, name: n.text.toLowerCase() });
  }
}

function passBare(nodes: Node[], cx: Ctx): void {
  for (const n of nodes) if (n.t === 'group') passBare(n.items, cx);
  const fn = cx.dialect === 'trino' ? 'arbitrary' : 'any_value';
  // from the last SELECT of the level to the first, so that splicing keeps the earlier ranges right
  for (const [s, e] of selects(nodes).reverse()) {
    const from = findWord(nodes, s + 1, e, 'FROM');
    const grp = findWord(nodes, s + 1, e, 'GROUP');
    if (from < 0 || grp < 0 || word(nodes[nextIdx(nodes, grp)]) !== 'BY') continue;
    let end = e;
    for (const w of ['HAVING', 'ORDER', 'LIMIT', 'WINDOW']) {
      const k = findWord(nodes, grp, e, w);
      if (k >= 0) end = Math.min(end, k);
    }
    const keys = splitArgs(nodes.slice(nextIdx(nodes, grp) + 1, end)).map((x) => render(trimWs(x)).toLowerCase().replace(/\s+/g, ''));
    const grouped = (name: string): boolean => keys.some((k) => k === name || k.endsWith(`.${name}`) || name.endsWith(`.${k}`));
    const refs: Ref[] = [];
    let start = s + 1;
    for (let i = s + 1; i <= from; i++) {
      const n = nodes[i]!;
      if (i < from && !(n.t === 'tok' && n.text === ',')) continue;
      // the item [start, i), less a trailing alias
      let stop = prevIdx(nodes, i) + 1;
      const last = stop - 1;
      const asAt = prevIdx(nodes, last);
      if (asAt > start && word(nodes[asAt]) === 'AS') stop = asAt;
      bareRefs(nodes, start, stop, refs);
      start = i + 1;
    }
    const todo = refs.filter((r) => !grouped(r.name)).sort((x, y) => y.at - x.at);
    for (const r of todo) r.list.splice(r.at, r.len, tok('ident', fn), group(r.list.slice(r.at, r.at + r.len)));
  }
}

// ---- pass 3: HAVING aliases (Trino) -----------------------------------------------------------------------

function passHaving(nodes: Node[], columns: ReadonlySet<string>): void {
  for (const n of nodes) if (n.t === 'group') passHaving(n.items, columns);
  for (const [s, e] of selects(nodes)) {
    const from = findWord(nodes, s + 1, e, 'FROM');
    const hav = findWord(nodes, s + 1, e, 'HAVING');
    if (from < 0 || hav < 0) continue;
    const aliases = new Map<string, Node[]>();
    for (const item of splitArgs(nodes.slice(s + 1, from))) {
      const t = trimWs(item);
      const k = t.length >= 3 ? prevIdx(t, t.length - 1) : -1;
      const alias = t[t.length - 1];
      if (k >= 0 && word(t[k]) === 'AS' && alias && alias.t === 'tok') aliases.set(alias.text.toLowerCase(), trimWs(t.slice(0, k)));
    }
    let end = e;
    for (const w of ['ORDER', 'LIMIT', 'WINDOW']) {
      const k = findWord(nodes, hav, e, w);
      if (k >= 0) end = Math.min(end, k);
    }
    const sub = (list: Node[]): void => {
      for (let i = 0; i < list.length; i++) {
        const n = list[i]!;
        if (n.t === 'group') { sub(n.items); continue; }
        const a = n.kind === 'ident' ? aliases.get(n.text.toLowerCase()) : undefined;
        const before = list[i - 1];
        if (!a || columns.has(n.text.toLowerCase()) || list[i + 1]?.t === 'group' || (before?.t === 'tok' && before.text === '.')) continue;
        list[i] = group(a.map((x) => x));
      }
    };
    const part = nodes.slice(hav + 1, end);
    sub(part);
    nodes.splice(hav + 1, end - hav - 1, ...part);
  }
}

// ---- pass 4: || and LIKE ---------------------------------------------------------------------------------

/** [start, end) of the primary expression ending at index `i` (going back) or starting at `i` (going forward). */
function primaryBack(nodes: readonly Node[], i: number): number {
  let s = i;
  if (word(nodes[s]) === 'END') {
    // CASE ... END (nested ones at the same level counted; those in parentheses are inside their group)
    for (let depth = 0; s >= 0; s--) {
      const w = word(nodes[s]);
      if (w === 'END') depth++;
      else if (w === 'CASE' && --depth === 0) return s;
    }
    return i;
  }
  if (nodes[s]?.t === 'group') {
    const p = s - 1;
    if (p >= 0 && nodes[p]!.t === 'tok' && (nodes[p] as Tok).kind === 'ident' && !KEYWORDS.has((nodes[p] as Tok).text.toUpperCase())) s = p;
    else if (word(nodes[p]) === 'CAST') s = p;
    return s;
  }
  while (s >= 2 && nodes[s - 1]!.t === 'tok' && (nodes[s - 1] as Tok).text === '.') s -= 2;
  return s;
}
function primaryFwd(nodes: readonly Node[], i: number): number {
  if (word(nodes[i]) === 'CASE') {
    for (let depth = 0, k = i; k < nodes.length; k++) {
      const w = word(nodes[k]);
      if (w === 'CASE') depth++;
      else if (w === 'END' && --depth === 0) return k + 1;
    }
  }
  let e = i + 1;
  const n = nodes[i];
  if (n && n.t === 'tok' && (n.kind === 'ident' || n.kind === 'raw') && nodes[e]?.t === 'group') return e + 1;
  while (nodes[e]?.t === 'tok' && (nodes[e] as Tok).text === '.' && nodes[e + 1]) e += 2;
  return e;
}

function passOps(nodes: Node[], cx: Ctx): Node[] {
  let list = nodes.map((n) => (n.t === 'group' ? group(passOps(n.items, cx)) : n));
  const strType = cx.dialect === 'spark' ? 'STRING' : 'VARCHAR';
  if (cx.dialect !== 'duckdb') {
    // a || b || c -> concat(CAST(a AS VARCHAR), ...)
    for (let i = 0; i < list.length; i++) {
      const n = list[i]!;
      if (!(n.t === 'tok' && n.kind === 'op' && n.text === '||')) continue;
      const l0 = primaryBack(list, prevIdx(list, i));
      const operands: Node[][] = [list.slice(l0, prevIdx(list, i) + 1)];
      let j = i;
      let end = i;
      while (j < list.length && list[j]!.t === 'tok' && (list[j] as Tok).text === '||') {
        const a = nextIdx(list, j);
        const b = primaryFwd(list, a);
        operands.push(list.slice(a, b));
        end = b;
        j = nextIdx(list, b - 1);
        if (!(list[j]?.t === 'tok' && (list[j] as Tok).text === '||')) break;
      }
      const cast = (o: Node[]): Node[] => (o.length === 1 && o[0]!.t === 'tok' && (o[0] as Tok).kind === 'str'
        ? o : [tok('ident', 'CAST'), group([...o, tok('raw', ` AS ${strType}`)])]);
      const args: Node[] = [];
      operands.forEach((o, k) => {
        if (k > 0) args.push(tok('punct', ','), tok('ws', ' '));
        args.push(...cast(o));
      });
      list.splice(l0, end - l0, tok('ident', 'concat'), group(args));
      i = l0;
    }
  }
  // x LIKE y: ILIKE (DuckDB, Spark), lower(x) LIKE lower(y) (Trino)
  for (let i = 0; i < list.length; i++) {
    if (word(list[i]) !== 'LIKE') continue;
    if (cx.dialect !== 'trino') {
      list[i] = tok('ident', 'ILIKE');
      continue;
    }
    let p = prevIdx(list, i);
    const not = word(list[p]) === 'NOT'; // x NOT LIKE y
    if (not) p = prevIdx(list, p);
    const l0 = primaryBack(list, p);
    const a = nextIdx(list, i);
    const b = primaryFwd(list, a);
    const rhs = list.slice(a, b);
    const lhs = list.slice(l0, p + 1);
    const isLower = (o: Node[]): boolean => word(o[0]) === 'LOWER' || (o.length === 1 && o[0]!.t === 'tok' && (o[0] as Tok).kind === 'str' && (o[0] as Tok).text === (o[0] as Tok).text.toLowerCase());
    const wrap = (o: Node[]): Node[] => (isLower(o) ? o : [tok('ident', 'lower'), group(o)]);
    const op = not ? [tok('ident', 'NOT'), tok('ws', ' '), tok('ident', 'LIKE')] : [tok('ident', 'LIKE')];
    const repl = [...wrap(lhs), tok('ws', ' '), ...op, tok('ws', ' '), ...wrap(rhs)];
    list.splice(l0, b - l0, ...repl);
    i = l0 + repl.length - 1;
  }
  return list;
}

// ---- pass 5: functions and casts -------------------------------------------------------------------------

const TEXT_FUNCTIONS = new Set(['SUBSTR', 'SUBSTRING', 'REPLACE', 'LOWER', 'UPPER', 'TRIM', 'LTRIM', 'RTRIM']);

/** Columns that are text in every table of a dataset that has them (server_facts.value: numbers as text). */
const TEXT_COLUMNS = ((): Set<string> => {
  const text = new Set<string>();
  const other = new Set<string>();
  for (const t of [...PARTITIONED_TABLES, SNAPSHOTS_TABLE]) for (const [c, ty] of t.columns) (ty === 'VARCHAR' ? text : other).add(c);
  for (const c of other) text.delete(c);
  return text;
})();

function isText(arg: Node[]): boolean {
  const t = trimWs(arg);
  if (t.length === 1 && t[0]!.t === 'tok' && (t[0] as Tok).kind === 'str') return true;
  // a text column, bare or qualified (f.value)
  const last = t[t.length - 1];
  if (last && last.t === 'tok' && last.kind === 'ident' && TEXT_COLUMNS.has(last.text.toLowerCase())
    && (t.length === 1 || (t.length === 3 && t[1]!.t === 'tok' && (t[1] as Tok).text === '.'))) return true;
  return t.length === 2 && TEXT_FUNCTIONS.has(word(t[0])) && t[1]!.t === 'group';
}

function intCast(expr: string, text: boolean, d: Ctx['dialect']): string {
  if (text) {
    const digits = `regexp_extract(${expr}, '^ *([+-]?[0-9]+)', 1)`;
    return d === 'spark' ? `try_cast(${digits} AS BIGINT)` : `TRY_CAST(${digits} AS BIGINT)`;
  }
  if (d === 'spark') return `CAST(${expr} AS BIGINT)`;
  return `CAST(${d === 'trino' ? 'truncate' : 'trunc'}(${expr}) AS BIGINT)`;
}

function mapType(t: string, d: Ctx['dialect']): string {
  const u = t.trim().toUpperCase();
  if (u === 'TEXT') return d === 'spark' ? 'STRING' : 'VARCHAR';
  if (u === 'REAL' || u === 'FLOAT') return 'DOUBLE';
  if (u === 'BLOB') return d === 'spark' ? 'BINARY' : d === 'trino' ? 'VARBINARY' : 'BLOB';
  return t.trim();
}

/** The conversions of a printf format: 'd', 'f:N' (N decimals), 's', in order (%% left out). */
function formatSpecs(fmt: string): string[] {
  const out: string[] = [];
  const re = /%[-+ 0#,!]*(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    const c = m[3]!;
    if (c === '%') continue;
    if (c === 'd' || c === 'i') out.push('d');
    else if (c === 'f' || c === 'e' || c === 'g') out.push(`f:${m[2] ?? '6'}`);
    else out.push('s');
  }
  return out;
}

function passFunctions(nodes: Node[], cx: Ctx): Node[] {
  const list = nodes.map((n) => (n.t === 'group' ? group(passFunctions(n.items, cx)) : n));
  const d = cx.dialect;
  for (let i = 0; i < list.length; i++) {
    const n = list[i]!;
    const g = list[i + 1];
    if (!(n.t === 'tok' && n.kind === 'ident') || !g || g.t !== 'group') continue;
    const prev = list[prevIdx(list, i)];
    if (prev && prev.t === 'tok' && prev.text === '.') continue;
    const name = n.text.toUpperCase();
    const rawArgs = splitArgs(g.items);
    const args = rawArgs.map(trimWs);
    const a = args.map((x) => render(x));
    // what precedes each argument (the line breaks and indentation of the original)
    const lead = rawArgs.map((x) => /^\s*/.exec(render(x))![0]);
    let repl: string | null = null;
    if (name === 'CAST') {
      const items = g.items;
      const asAt = items.map((x) => word(x)).lastIndexOf('AS');
      if (asAt > 0) {
        const expr = trimWs(items.slice(0, asAt));
        const type = render(items.slice(asAt + 1));
        if (/^\s*INTEGER\s*$/i.test(type) || /^\s*INT\s*$/i.test(type)) repl = intCast(render(expr), isText(expr), d);
        else repl = `CAST(${render(expr)} AS ${mapType(type, d)})`;
      }
    } else if (name === 'PRINTF' || name === 'FORMAT') {
      const fmtTok = args[0]?.length === 1 ? args[0][0] : undefined;
      if (fmtTok && fmtTok.t === 'tok' && fmtTok.kind === 'str') {
        const specs = formatSpecs(fmtTok.text);
        const out = a.map((x, k) => {
          if (k === 0) return x;
          const s = specs[k - 1] ?? 's';
          if (s === 'd') return lead[k] + intCast(x, isText(args[k]!), d);
          if (s.startsWith('f:')) return `${lead[k]}round(CAST(${x} AS DOUBLE), ${s.slice(2)})`;
          return lead[k] + x;
        });
        repl = `${d === 'trino' ? 'format' : 'printf'}(${out.join(',')})`;
      }
    } else if (name === 'GROUP_CONCAT') {
      const first = args[0] ?? [];
      const distinct = word(first[0]) === 'DISTINCT';
      const x = render(distinct ? trimWs(first.slice(1)) : first);
      const sep = a[1] ?? (d === 'spark' ? "','" : "','");
      if (d === 'duckdb') repl = `string_agg(${distinct ? 'DISTINCT ' : ''}${x}, ${sep})`;
      else if (d === 'spark') repl = `array_join(${distinct ? 'collect_set' : 'collect_list'}(${x}), ${sep})`;
      else repl = `array_join(array_agg(${distinct ? 'DISTINCT ' : ''}${x}), ${sep})`;
    } else if ((name === 'MAX' || name === 'MIN') && args.length >= 2) {
      repl = `${name === 'MAX' ? 'greatest' : 'least'}(${a.join(', ')})`;
    } else if (name === 'LENGTH' && d === 'duckdb' && args.length === 1) {
      const last = args[0]![args[0]!.length - 1];
      if (last && last.t === 'tok' && BYTE_COLUMNS.has(last.text.toUpperCase())) repl = `octet_length(${a[0]})`;
    } else if (name === 'INSTR' && d === 'trino') repl = `strpos(${a.join(', ')})`;
    else if (name === 'HEX' && d === 'trino') repl = `to_hex(${a.join(', ')})`;
    else if (name === 'DATETIME' && args.length === 2 && /^'unixepoch'$/i.test(a[1]!.trim())) {
      const x = a[0]!;
      if (d === 'duckdb') repl = `strftime(make_timestamp(CAST(trunc((${x}) * 1000000) AS BIGINT)), '%Y-%m-%d %H:%M:%S')`;
      else if (d === 'spark') repl = `from_unixtime(CAST(${x} AS BIGINT), 'yyyy-MM-dd HH:mm:ss')`;
      else repl = `format_datetime(from_unixtime(${x}) AT TIME ZONE 'UTC', 'yyyy-MM-dd HH:mm:ss')`;
    }
    if (repl !== null) {
      list.splice(i, 2, tok('raw', repl));
    }
  }
  return list;
}

/** Column names of the inventory's tables (a HAVING name that is one is a column, not an alias). */
const COLUMN_NAMES = new Set(['snapshot_id', 'db', 'key', 'key_text', 'type', 'encoding', 'length', 'memory', 'rdb_bytes',
  'expires_at', 'idle_s', 'freq', 'slot', 'largest_element', 'field_ttls', 'min_field_expires_at', 'pattern',
  'compress_ratio', 'module', 'value_format', 'score_min', 'score_max', 'key_utf8', 'ttl_class', 'memory_class',
  'length_class', 'cold', 'json', 'short_string', 'keys', 'key_bytes', 'length_sum', 'memory_max', 'length_max',
  'key_min', 'first_row', 'idle_min', 'idle_max', 'idle_keys', 'freq_keys', 'expires_min', 'expires_max',
  'as_hash_savings', 'field', 'field_text', 'hashes', 'family_hashes', 'id', 'label', 'writer', 'ctime', 'magic',
  'rdb_version', 'key_count', 'memory_total', 'rank', 'row']);

/** One rule query (SQLite dialect) in `dialect`. `snapshot`: the id written in place of `:snapshot`. */
export function translateSql(sql: string, dialect: Dialect, opts: { snapshot?: number } = {}): string {
  if (dialect === 'sqlite') return opts.snapshot === undefined ? sql : sql.replace(/:snapshot\b/g, String(opts.snapshot));
  const cx: Ctx = { dialect, snapshot: opts.snapshot };
  let nodes = passTokens(parse(sql), cx);
  passBare(nodes, cx);
  if (dialect === 'trino') passHaving(nodes, COLUMN_NAMES);
  nodes = passOps(nodes, cx);
  nodes = passFunctions(nodes, cx);
  return render(nodes);
}
