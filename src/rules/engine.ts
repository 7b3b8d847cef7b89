/**
 * Loads rule files (built-in and the user's), checks them against the inventory, and runs them for one snapshot.
 * Each rule's SQL runs with one named parameter, `:snapshot`, on a read-only connection.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './snapshot.js';
import { parseRule, RuleError, type Rule, type RuleSection, type Severity } from './format.js';
import type { CombinedSavings } from './overlap.js';

/** The folder of built-in rules: next to this module (copied to dist/ at build), else in src/ beside dist/. */
export function builtinRulesDir(): string {
  const here = fileURLToPath(new URL('./builtin/', import.meta.url));
  const src = fileURLToPath(new URL('../../src/rules/builtin/', import.meta.url));
  return existsSync(here) || !existsSync(src) ? here : src;
}

/** Reads every `*.sql` file of `dir` (sorted by name) as a rule. */
export function loadRuleDir(dir: string): Rule[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  } catch (e) {
    throw new RuleError(dir, 0, `cannot read the rules folder: ${(e as Error).message.split('\n')[0]}`);
  }
  return names.map((n) => {
    const file = join(dir, n);
    return parseRule(readFileSync(file, 'utf8'), file);
  });
}

/** The built-in rules followed by those of `extraDirs`; two rules with one id are an error. */
export function loadRules(extraDirs: readonly string[] = []): Rule[] {
  const rules = [builtinRulesDir(), ...extraDirs].flatMap((d) => loadRuleDir(d));
  const seen = new Map<string, string>();
  for (const r of rules) {
    const prev = seen.get(r.id);
    if (prev) throw new RuleError(r.file, 1, `rule id '${r.id}' is already used by ${prev}`);
    seen.set(r.id, r.file);
  }
  return rules;
}

export interface FindingRow {
  readonly pattern: string;
  readonly keys: number;
  readonly memory: number;
  readonly savings: number;
  readonly detail: string | null;
  /** A sample affected key (bytes when the rule selected a BLOB). */
  readonly example: string | Uint8Array | null;
}

/** A rule's result: its metadata, plus what it found. */
export interface Finding extends Pick<Rule, 'id' | 'title' | 'severity' | 'rationale' | 'fix' | 'frees' | 'file'> {
  /** The SQL that found the affected keys (the rule's `@affected` section). */
  readonly sql: string;
  readonly keys: number;
  readonly memory: number;
  readonly savings: number;
  readonly rows: FindingRow[];
}

export interface SkippedRule {
  readonly id: string;
  readonly title: string;
  readonly reason: string;
}

export interface RuleResults {
  /** Rules with at least one affected row, ranked by estimated savings, then severity, then memory. */
  readonly findings: Finding[];
  readonly skipped: SkippedRule[];
  /** Ids of rules that ran and found nothing. */
  readonly clean: string[];
  /** The findings' savings with each key counted once (overlap.ts), where the caller computed them. */
  readonly combined?: CombinedSavings;
}

const REQUIRED_COLUMNS = ['pattern', 'keys', 'memory', 'savings'];
const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

export interface Compiled {
  rule: Rule;
  affected: ReturnType<Db['prepare']>;
  savings: ReturnType<Db['prepare']> | null;
  skip: ReturnType<Db['prepare']> | null;
}

function prepare(db: Db, rule: Rule, section: RuleSection, name: string, sql: string): ReturnType<Db['prepare']> {
  let stmt: ReturnType<Db['prepare']>;
  try {
    stmt = db.prepare(sql);
  } catch (e) {
    throw new RuleError(rule.file, section.line, `@${name}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!stmt.reader) throw new RuleError(rule.file, section.line, `@${name}: must be a query (SELECT or WITH ... SELECT)`);
  return stmt;
}

/** Prepares every rule's SQL against `db`, checking the result columns each section must return. */
export function compileRules(db: Db, rules: readonly Rule[]): Compiled[] {
  return rules.map((rule) => {
    const affected = prepare(db, rule, rule.affected, 'affected', rule.affected.sql);
    const cols = affected.columns().map((c) => c.name);
    const missing = REQUIRED_COLUMNS.filter((c) => !cols.includes(c));
    if (missing.length > 0) {
      throw new RuleError(rule.file, rule.affected.line, `@affected must return columns ${REQUIRED_COLUMNS.join(', ')}; missing ${missing.join(', ')}`);
    }
    let savings: Compiled['savings'] = null;
    if (rule.savings) {
      savings = prepare(db, rule, rule.savings, 'savings', `WITH affected AS (\n${rule.affected.sql}\n)\n${rule.savings.sql}`);
      if (!savings.columns().some((c) => c.name === 'savings')) {
        throw new RuleError(rule.file, rule.savings.line, '@savings must return a column named savings');
      }
    }
    const skip = rule.skip ? prepare(db, rule, rule.skip, 'skip', rule.skip.sql) : null;
    if (rule.scan) {
      const scanCols = prepare(db, rule, rule.scan, 'scan', rule.scan.sql).columns().map((c) => c.name);
      if (scanCols.join(',') !== cols.join(',')) {
        throw new RuleError(rule.file, rule.scan.line, `@scan must return the columns of @affected (${cols.join(', ')})`);
      }
    }
    return { rule, affected, savings, skip };
  });
}

export function num(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isFinite(v)) return Math.max(0, Math.round(v));
  return 0;
}

/** What running one rule gave. */
export type RuleOutcome =
  | { readonly kind: 'finding'; readonly finding: Finding }
  | { readonly kind: 'skipped'; readonly skipped: SkippedRule }
  | { readonly kind: 'clean'; readonly id: string };

/** Runs one compiled rule for one snapshot. A rule whose SQL fails at run time is a {@link RuleError}. */
export function runCompiledRule(c: Compiled, snapshotId: number): RuleOutcome {
  const params = { snapshot: snapshotId };
  const { rule } = c;
  const at = (s: RuleSection, name: string, e: unknown): RuleError =>
    new RuleError(rule.file, s.line, `@${name}: ${(e as Error).message.split('\n')[0]}`);
  if (c.skip) {
    let reason: unknown;
    try {
      const row = c.skip.raw().get(params) as unknown[] | undefined;
      reason = row?.[0];
    } catch (e) {
      throw at(rule.skip!, 'skip', e);
    }
    if (reason !== null && reason !== undefined && reason !== 0 && reason !== '') {
      return { kind: 'skipped', skipped: { id: rule.id, title: rule.title, reason: String(reason) } };
    }
  }
  let raw: Array<Record<string, unknown>>;
  try {
    raw = c.affected.all(params) as Array<Record<string, unknown>>;
  } catch (e) {
    throw at(rule.affected, 'affected', e);
  }
  return outcomeOf(rule, raw, () => {
    try {
      return c.savings ? num((c.savings.get(params) as Record<string, unknown> | undefined)?.savings) : null;
    } catch (e) {
      throw at(rule.savings!, 'savings', e);
    }
  });
}

/**
 * A rule's outcome from the rows its `@affected` query returned (columns by name) and, when it has an `@savings`
 * section, the total that computes (called only when there are rows). Shared by every engine the rules run on.
 */
export function outcomeOf(rule: Rule, raw: ReadonlyArray<Record<string, unknown>>, savingsTotal: () => number | null): RuleOutcome {
  const rows: FindingRow[] = raw
    .map((r) => ({
      pattern: r.pattern === null || r.pattern === undefined ? '(no pattern)' : String(r.pattern),
      keys: num(r.keys),
      memory: num(r.memory),
      savings: num(r.savings),
      detail: r.detail === null || r.detail === undefined ? null : String(r.detail),
      example: r.example instanceof Uint8Array ? r.example : r.example === null || r.example === undefined ? null : String(r.example),
    }))
    .filter((r) => r.keys > 0 || r.memory > 0 || r.savings > 0 || r.detail !== null)
    .sort((a, b) => b.savings - a.savings || b.memory - a.memory || a.pattern.localeCompare(b.pattern));
  if (rows.length === 0) return { kind: 'clean', id: rule.id };
  const savings = savingsTotal() ?? rows.reduce((s, r) => s + r.savings, 0);
  return {
    kind: 'finding',
    finding: {
      id: rule.id, title: rule.title, severity: rule.severity, rationale: rule.rationale, fix: rule.fix, frees: rule.frees, file: rule.file,
      sql: rule.affected.sql,
      keys: rows.reduce((s, r) => s + r.keys, 0),
      memory: rows.reduce((s, r) => s + r.memory, 0),
      savings,
      rows,
    },
  };
}

/** Runs the rules for one snapshot, one after the other (see parallel.ts for the commands' two-thread runner). */
export function runRules(db: Db, rules: readonly Rule[], snapshotId: number): RuleResults {
  return rankOutcomes(compileRules(db, rules).map((c) => runCompiledRule(c, snapshotId)));
}

/** The outcomes of a set of rules (in rule order), as results ranked the documented way. */
export function rankOutcomes(outcomes: readonly RuleOutcome[]): RuleResults {
  const findings: Finding[] = [];
  const skipped: SkippedRule[] = [];
  const clean: string[] = [];
  for (const o of outcomes) {
    if (o.kind === 'finding') findings.push(o.finding);
    else if (o.kind === 'skipped') skipped.push(o.skipped);
    else clean.push(o.id);
  }
  findings.sort((a, b) => b.savings - a.savings || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.memory - a.memory);
  return { findings, skipped, clean };
}
