/**
 * `rdbscope report` and `rdbscope recommend` on an inventory built row by row: the report's numbers against the
 * rows, the text/JSON/Markdown/HTML outputs, the HTML page in headless Chromium, and the CLI's one-line errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSnapshot, createInventory, type KeyRow } from './helpers/inventory.js';
import { buildSummary } from '../src/report/summary.js';
import { resolveSnapshot } from '../src/rules/snapshot.js';
import { renderReportHtml } from '../src/report/html.js';
import { loadRules, runRules } from '../src/rules/engine.js';
import { checkHtmlInBrowser, haveChromium } from './helpers/browser.js';

const ROOT = join(import.meta.dirname, '..');
const CTIME = 1_700_000_000;
const NOW = CTIME * 1000;
const H = 3_600_000;

function rows(): KeyRow[] {
  const out: KeyRow[] = [];
  const ttls = [null, NOW - 1000, NOW + 0.5 * H, NOW + 5 * H, NOW + 50 * H, NOW + 500 * H];
  for (let i = 0; i < 600; i++) {
    out.push({ key: `cache:item:${i}`, type: 'string', encoding: i % 3 ? 'raw' : 'embstr', length: 10 + i, memory: 50 + i * 3,
      expires_at: ttls[i % ttls.length], pattern: 'cache:item:{id}' });
  }
  for (let i = 0; i < 40; i++) {
    out.push({ db: i % 2, key: `user:${i}`, type: 'hash', encoding: 'listpack', length: 5 + i, memory: 300 + i * 10, pattern: 'user:{id}' });
  }
  out.push({ key: 'big:zset', type: 'zset', encoding: 'skiplist', length: 50_000, memory: 5_000_000, largest_element: 20, pattern: 'big:zset' });
  out.push({ key: Buffer.from([0xde, 0xad, 0x0a, 0x62]), type: 'list', encoding: 'quicklist', length: 3000, memory: 3_000_000 });
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'rdbscope-report-'));
const inv = join(dir, 'inv.sqlite');
const data = rows();
{
  const db = createInventory(inv);
  addSnapshot(db, { label: 'older', ctime: CTIME - 86400 }, data.slice(0, 10));
  addSnapshot(db, { label: 'today', ctime: CTIME }, data);
  db.close();
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('summary numbers match the rows: totals, databases, types, TTL buckets, histograms, top keys', async () => {
  const { openInventory } = await import('../src/rules/snapshot.js');
  const db = openInventory(inv);
  const snap = resolveSnapshot(db, inv, 'today');
  const d = buildSummary(db, snap, null, { topKeys: 5 });
  db.close();
  const mem = data.reduce((s, r) => s + r.memory, 0);
  assert.equal(d.totals.keys, data.length);
  assert.equal(d.totals.memory, mem);
  assert.equal(d.totals.withTtl, data.filter((r) => r.expires_at != null).length);
  assert.deepEqual(d.byDb.map((b) => [b.db, b.keys]), [[0, data.filter((r) => (r.db ?? 0) === 0).length], [1, 20]]);
  assert.equal(d.byType.reduce((s, t) => s + t.memory, 0), mem);
  const bucket = (label: string): number => d.ttl.find((b) => b.label === label)!.keys;
  assert.equal(bucket('no expiry'), data.filter((r) => r.expires_at == null).length);
  assert.equal(bucket('already expired'), 100);
  assert.equal(bucket('< 1 h'), 100);
  assert.equal(bucket('1-24 h'), 100);
  assert.equal(bucket('1-7 d'), 100);
  assert.equal(bucket('> 7 d'), 100);
  assert.equal(d.ttl.reduce((s, b) => s + b.memory, 0), mem);
  assert.equal(d.memoryHistogram.reduce((s, b) => s + b.keys, 0), data.length);
  assert.equal(d.memoryHistogram.find((b) => b.label === '>= 4 MiB')!.keys, 1);
  assert.equal(d.lengthHistogram.reduce((s, b) => s + b.keys, 0), data.filter((r) => r.type !== 'string').length);
  assert.deepEqual(d.topKeys.map((k) => k.key).slice(0, 2), ['big:zset', '"\\xde\\xad\\nb"']);
  const fam = d.patterns.find((p) => p.pattern === 'cache:item:{id}')!;
  assert.equal(fam.keys, 600);
  assert.ok(Math.abs(fam.ttlShare - 500 / 600) < 1e-9);
});

test('report in the terminal and as JSON; snapshot chosen by label or id', () => {
  const t = cli('report', '--in', inv);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /snapshot 2 \(today\)/);
  assert.match(t.stdout, new RegExp(`Keys ${data.length.toLocaleString('en-US')}, estimated memory`));
  assert.match(t.stdout, /"\\xde\\xad\\nb"/, 'binary key escaped');
  assert.match(t.stdout, /Recommendations/);
  assert.match(t.stdout, /blocking-delete/);
  const j = cli('report', '--in', inv, '--snapshot', '1', '--format', 'json');
  assert.equal(j.status, 0, j.stderr);
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.snapshot.label, 'older');
  assert.equal(parsed.totals.keys, 10);
  assert.ok(Array.isArray(parsed.recommendations.findings));
});

test('recommend: text with SQL, JSON ranked by savings, Markdown; --rules adds user rules', () => {
  const rulesDir = join(dir, 'my-rules');
  mkdirSync(rulesDir, { recursive: true });
  writeFileSync(join(rulesDir, 'users.sql'), `-- id: user-hashes\n-- title: User hashes\n-- severity: critical\n-- rationale: r\n-- fix: f\n` +
    `-- @affected\nSELECT pattern, COUNT(*) AS keys, SUM(memory) AS memory, SUM(memory) AS savings FROM keys\n` +
    `WHERE snapshot_id = :snapshot AND type = 'hash' GROUP BY pattern\n`);
  const j = cli('recommend', '--in', inv, '--rules', rulesDir, '-f', 'json');
  assert.equal(j.status, 0, j.stderr);
  const out = JSON.parse(j.stdout);
  const savings = out.findings.map((f: { savings: number }) => f.savings);
  assert.deepEqual(savings, [...savings].sort((a, b) => b - a));
  const mine = out.findings.find((f: { id: string }) => f.id === 'user-hashes');
  assert.equal(mine.keys, 40);
  assert.equal(mine.savings, data.filter((r) => r.type === 'hash').reduce((s, r) => s + r.memory, 0));
  assert.ok(out.findings.every((f: { sql: string }) => /:snapshot/.test(f.sql)));
  const t = cli('recommend', '--in', inv);
  assert.match(t.stdout, /SQL \(.*blocking-delete\.sql/);
  const m = cli('recommend', '--in', inv, '-f', 'markdown');
  assert.match(m.stdout, /^# rdbscope findings: snapshot 2 \(today\)/);
  assert.match(m.stdout, /```sql\n/);
});

test('one-line errors: missing inventory, unknown snapshot, bad rule file', () => {
  const a = cli('recommend', '--in', join(dir, 'nope.sqlite'));
  assert.equal(a.status, 2);
  assert.match(a.stderr, /^rdbscope: .*nope\.sqlite: no such inventory/);
  const b = cli('report', '--in', inv, '--snapshot', 'yesterday');
  assert.equal(b.status, 2);
  assert.equal(b.stderr, `rdbscope: ${inv}: no snapshot with id or label 'yesterday' (complete snapshots: 1 (older), 2 (today))\n`);
  const bad = join(dir, 'bad-rules');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'x.sql'), '-- id: x\n-- title: t\n-- severity: urgent\n-- rationale: r\n-- fix: f\n-- @affected\nSELECT 1\n');
  const c = cli('recommend', '--in', inv, '--rules', bad);
  assert.equal(c.status, 2);
  assert.equal(c.stderr, `rdbscope: ${join(bad, 'x.sql')}:3: severity 'urgent' must be one of info, warning, critical\n`);
  for (const r of [a, b, c]) assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('HTML report: self-contained, atomic write, numbers of the snapshot', () => {
  const out = join(dir, 'report.html');
  const r = cli('report', '--in', inv, '--html', out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.doesNotMatch(html, /<(link|img|iframe)\b|\bsrc=|https?:\/\//i, 'no external resources');
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, new RegExp(`id="total-keys">${data.length.toLocaleString('en-US')}<`));
  assert.match(html, /<svg class="treemap"/);
  assert.match(html, /&quot;\\xde\\xad\\nb&quot;/, 'binary key escaped, then HTML-escaped');
  assert.ok(!existsSync(`${out}.tmp`));
});

test('HTML report renders in headless Chromium without console errors', { skip: haveChromium() ? false : 'chromium not installed' }, async () => {
  const { openInventory } = await import('../src/rules/snapshot.js');
  const db = openInventory(inv);
  const snap = resolveSnapshot(db, inv, undefined);
  const d = buildSummary(db, snap, runRules(db, loadRules(), snap.id));
  db.close();
  const page = join(dir, 'page.html');
  writeFileSync(page, renderReportHtml(d));
  const shot = join(dir, 'page.png');
  const res = await checkHtmlInBrowser(page, shot);
  assert.deepEqual(res.errors, []);
  assert.equal(res.totalKeys, data.length.toLocaleString('en-US'));
  assert.ok(res.treemapCells >= 3, `treemap has ${res.treemapCells} cells`);
  assert.ok(res.findings >= 1);
  assert.ok(readFileSync(shot).length > 10_000, 'screenshot written');
});
