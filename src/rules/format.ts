import { UserError } from '../errors.js';

/**
 * The rule file format (documented in src/rules/README.md): a header of `-- name: value` comment lines, then named
 * SQL sections, each introduced by a line `-- @name`. Parsing is strict: anything unexpected is a {@link RuleError}
 * naming the file and line.
 */

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/**
 * When a rule's savings are freed: `now` when a reviewed plan deletes or trims (rdbscope plan), `expiry` when the
 * TTLs its fix sets fire, `rewrite` once the application or the server's settings change how the data is written
 * (encodings, compression, shorter names).
 */
export type Frees = 'now' | 'expiry' | 'rewrite';
export const FREES: readonly Frees[] = ['now', 'expiry', 'rewrite'];

export type SectionName = 'affected' | 'savings' | 'skip' | 'scan';
export const SECTION_NAMES: readonly SectionName[] = ['affected', 'savings', 'skip', 'scan'];

export interface RuleSection {
  readonly sql: string;
  /** 1-based line of the `-- @name` line. */
  readonly line: number;
}

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly rationale: string;
  readonly fix: string;
  /** When its savings are freed (the optional `frees` header; default `now`). */
  readonly frees: Frees;
  readonly file: string;
  readonly affected: RuleSection;
  readonly savings: RuleSection | null;
  readonly skip: RuleSection | null;
  /**
   * The same result as `affected`, computed from every key (`FROM keys ... GROUP BY`), for rules whose
   * `affected` reads the index-time summaries (key_groups): `plan --rule` lists the keys from it, and the tests
   * hold the two equal on real dumps.
   */
  readonly scan: RuleSection | null;
}

/** A bad rule file: the message is one line, `FILE:LINE: what is wrong`. */
export class RuleError extends UserError {
  constructor(file: string, line: number, what: string) {
    super(`${file}:${line}: ${what}`);
    this.name = 'RuleError';
  }
}

const REQUIRED_HEADERS = ['id', 'title', 'severity', 'rationale', 'fix'] as const;
const HEADER_KEYS = [...REQUIRED_HEADERS, 'frees'] as const;
type HeaderKey = (typeof HEADER_KEYS)[number];
const HEADER_RE = /^--\s*([A-Za-z_-]+)\s*:\s?(.*)$/;
const CONTINUATION_RE = /^--\s{2,}(\S.*)$/;
const SECTION_RE = /^--\s*@(\S+)\s*$/;
const ID_RE = /^[a-z0-9][a-z0-9-]*$/;

/** Parses one rule file's text. `file` is used in error messages only. */
export function parseRule(text: string, file: string): Rule {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = new Map<HeaderKey, { value: string; line: number }>();
  const sections = new Map<SectionName, { start: number; body: string[] }>();
  let current: { start: number; body: string[] } | null = null;
  let lastKey: HeaderKey | null = null;

  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trimEnd();
    const sec = SECTION_RE.exec(line);
    if (sec) {
      const name = sec[1] as SectionName;
      if (!SECTION_NAMES.includes(name)) {
        throw new RuleError(file, n, `unknown section '@${sec[1]}' (expected one of ${SECTION_NAMES.map((s) => '@' + s).join(', ')})`);
      }
      if (sections.has(name)) throw new RuleError(file, n, `section '@${name}' appears twice`);
      current = { start: n, body: [] };
      sections.set(name, current);
      return;
    }
    if (current) {
      current.body.push(raw);
      return;
    }
    // Still in the header.
    if (line === '' || line === '--') {
      lastKey = null;
      return;
    }
    const cont = CONTINUATION_RE.exec(line);
    if (cont && lastKey) {
      const h = header.get(lastKey)!;
      h.value = `${h.value} ${cont[1]!.trim()}`.trim();
      return;
    }
    // Header names are lower case; a capitalized 'Word:' opens a free comment.
    const m = HEADER_RE.exec(line);
    if (!m || m[1] !== m[1]!.toLowerCase()) {
      if (line.startsWith('--')) {
        lastKey = null; // a free comment
        return;
      }
      throw new RuleError(file, n, `SQL before the first section line ('-- @affected'): '${clip(line)}'`);
    }
    const key = m[1] as HeaderKey;
    if (!HEADER_KEYS.includes(key)) {
      throw new RuleError(file, n, `unknown header '${m[1]}' (expected one of ${HEADER_KEYS.join(', ')})`);
    }
    if (header.has(key)) throw new RuleError(file, n, `header '${key}' appears twice`);
    header.set(key, { value: m[2]!.trim(), line: n });
    lastKey = key;
  });

  const lastLine = Math.max(1, lines.length);
  for (const k of REQUIRED_HEADERS) {
    const h = header.get(k);
    if (!h) throw new RuleError(file, 1, `missing header '-- ${k}:'`);
    if (h.value === '') throw new RuleError(file, h.line, `header '${k}' is empty`);
  }
  const id = header.get('id')!;
  if (!ID_RE.test(id.value)) {
    throw new RuleError(file, id.line, `rule id '${clip(id.value)}' must be lower-case letters, digits and '-'`);
  }
  const sev = header.get('severity')!;
  if (!SEVERITIES.includes(sev.value as Severity)) {
    throw new RuleError(file, sev.line, `severity '${clip(sev.value)}' must be one of ${SEVERITIES.join(', ')}`);
  }
  const frees = header.get('frees');
  if (frees && !FREES.includes(frees.value as Frees)) {
    throw new RuleError(file, frees.line, `frees '${clip(frees.value)}' must be one of ${FREES.join(', ')}`);
  }
  const section = (name: SectionName): RuleSection | null => {
    const s = sections.get(name);
    if (!s) return null;
    const sql = s.body.join('\n').trim().replace(/;\s*$/, '');
    if (stripComments(sql).trim() === '') throw new RuleError(file, s.start, `section '@${name}' has no SQL`);
    return { sql, line: s.start };
  };
  const affected = section('affected');
  if (!affected) throw new RuleError(file, lastLine, "missing section '-- @affected'");
  return {
    id: id.value,
    title: header.get('title')!.value,
    severity: sev.value as Severity,
    rationale: header.get('rationale')!.value,
    fix: header.get('fix')!.value,
    frees: (frees?.value as Frees | undefined) ?? 'now',
    file,
    affected,
    savings: section('savings'),
    skip: section('skip'),
    scan: section('scan'),
  };
}

function stripComments(sql: string): string {
  return sql.split('\n').filter((l) => !/^\s*--/.test(l)).join('\n');
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
