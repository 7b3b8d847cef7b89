/**
 * The index-time summaries (key_groups, top_keys) against full scans of keys, on real dumps: the bundled
 * fixtures, the dumps real servers wrote (fixtures/servers) and the shared corpus when present. For every
 * snapshot: the summary equals its SQL definition (GROUP_SQL, TOP_SQL); every built-in rule gives what its scan
 * of every key gives (`@scan`, or its query over keys instead of notable_keys); the report's figures equal those
 * of a scan of every key (test/helpers/full-scan-summary.ts, the report as it was computed before summaries).
 * And an inventory made before summaries gets them on its first report.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { indexDumps } from '../src/inventory/run.js';
import { summarizeInSql } from '../src/inventory/writer.js';
import { loadRules } from '../src/rules/engine.js';
import { openInventory, resolveSnapshot } from '../src/rules/snapshot.js';
import { buildSummary } from '../src/report/summary.js';
import { buildSummary as fullScanSummary } from './helpers/full-scan-summary.js';
import { corpusPresent, isWellFormed, manifest, REPO_ROOT } from './helpers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'rdbscope-summaries-'));
const inv = join(dir, 'inv.sqlite');
after(() => rmSync(dir, { recursive: true, force: true }));

function dumps(): string[] {
  const fx = join(REPO_ROOT, 'fixtures');
  const out = ['sample.rdb', 'all-encodings.rdb', 'lfu.rdb'].map((n) => join(fx, n));
  const servers = join(fx, 'servers');
  if (existsSync(servers)) {
    for (const d of readdirSync(servers).sort()) if (existsSync(join(servers, d, 'dump.rdb'))) out.push(join(servers, d, 'dump.rdb'));
  }
  if (corpusPresent()) out.push(...manifest().filter(isWellFormed).map((r) => r.path));
  return out;
}

let ids: number[] = [];
before(async () => {
  const results = await indexDumps(dumps(), { out: inv, force: true, quiet: true, patterns: [], memoryModel: null, checksum: false });
  ids = results.filter((r) => r.status === 'complete').map((r) => r.snapshotId!);
  assert.ok(ids.length >= 3, 'some dumps indexed');
});

/** Rows as comparable text (BLOBs as hex), sorted. */
function canon(rows: unknown[]): string[] {
  return rows
    .map((r) => JSON.stringify(r, (_k, v) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}` : v)))
    .sort();
}

test('key_groups and top_keys written while indexing equal their SQL definitions over keys', () => {
  const db = new Database(inv);
  try {
    const groups = db.prepare('SELECT * FROM key_groups WHERE snapshot_id = ?');
    const top = db.prepare('SELECT * FROM top_keys WHERE snapshot_id = ? ORDER BY rank');
    let nonEmpty = 0;
    for (const id of ids) {
      const fromIndex = { g: canon(groups.all(id)), t: canon(top.all(id)) };
      if (fromIndex.g.length > 0) nonEmpty++;
      db.exec('SAVEPOINT s');
      summarizeInSql(db, id);
      const fromSql = { g: canon(groups.all(id)), t: canon(top.all(id)) };
      db.exec('ROLLBACK TO s');
      db.exec('RELEASE s');
      assert.deepEqual(fromIndex.g, fromSql.g, `key_groups of snapshot ${id}`);
      assert.deepEqual(fromIndex.t, fromSql.t, `top_keys of snapshot ${id}`);
    }
    assert.ok(nonEmpty >= 3);
  } finally {
    db.close();
  }
});

/** A @skip section over key_groups written over keys instead (its sums of counts as the counts themselves). */
function skipOverKeys(sql: string): string {
  return sql
    .replaceAll('COALESCE(SUM(idle_keys), 0)', 'COUNT(idle_s)')
    .replaceAll('COALESCE(SUM(freq_keys), 0)', 'COUNT(freq)')
    .replaceAll('COALESCE(SUM(keys), 0)', 'COUNT(*)')
    .replace(/\bFROM key_groups\b/g, 'FROM keys');
}

test('every built-in rule gives what a scan of every key gives, on every snapshot', () => {
  const db = new Database(inv, { readonly: true });
  try {
    const rules = loadRules();
    let found = 0;
    for (const rule of rules) {
      const reference = rule.scan?.sql ?? rule.affected.sql.replace(/\bnotable_keys\b/g, 'keys');
      assert.ok(rule.scan || reference !== rule.affected.sql || !/\bkey_groups\b/.test(rule.affected.sql), `${rule.id} has a reference`);
      const a = db.prepare(rule.affected.sql);
      const b = db.prepare(reference);
      for (const id of ids) {
        const got = canon(a.all({ snapshot: id }));
        assert.deepEqual(got, canon(b.all({ snapshot: id })), `${rule.id} on snapshot ${id}`);
        if (got.length > 0) found++;
        if (rule.skip && /\bkey_groups\b/.test(rule.skip.sql)) {
          // the skip sections rewritten over key_groups give the verdict of counting the keys themselves
          const counted = skipOverKeys(rule.skip.sql);
          assert.notEqual(counted, rule.skip.sql, `${rule.id}: @skip has a form over keys`);
          assert.deepEqual(db.prepare(rule.skip.sql).raw().get({ snapshot: id }), db.prepare(counted).raw().get({ snapshot: id }),
            `${rule.id} @skip on snapshot ${id}`);
        }
      }
    }
    assert.ok(found > 10, `the rules found something (${found} rule results)`);
  } finally {
    db.close();
  }
});

test('the report from summaries equals the report from a scan of every key, on every snapshot', () => {
  const db = openInventory(inv);
  try {
    for (const id of ids) {
      const snap = resolveSnapshot(db, inv, id);
      for (const topKeys of [20, 3]) {
        assert.deepEqual(buildSummary(db, snap, null, { topKeys }), fullScanSummary(db, snap, null, { topKeys }), `snapshot ${id}, top ${topKeys}`);
      }
    }
    // more top keys than top_keys holds: read from keys
    const snap = resolveSnapshot(db, inv, ids[0]);
    assert.deepEqual(buildSummary(db, snap, null, { topKeys: 5000 }).topKeys, fullScanSummary(db, snap, null, { topKeys: 5000 }).topKeys);
  } finally {
    db.close();
  }
});

test('an inventory indexed before summaries existed gets them on its first report, equal to those of index', () => {
  const old = join(dir, 'old.sqlite');
  copyFileSync(inv, old);
  const w = new Database(old);
  const before = canon(w.prepare('SELECT * FROM key_groups ORDER BY snapshot_id').all());
  const beforeTop = canon(w.prepare('SELECT * FROM top_keys').all());
  w.exec('DELETE FROM key_groups; DELETE FROM top_keys; UPDATE snapshots SET summarized = NULL');
  w.close();
  const db = openInventory(old, { summaries: true });
  try {
    assert.equal(db.prepare("SELECT count(*) FROM snapshots WHERE status = 'complete' AND summarized IS NOT 1").pluck().get(), 0);
    assert.deepEqual(canon(db.prepare('SELECT * FROM key_groups ORDER BY snapshot_id').all()), before);
    assert.deepEqual(canon(db.prepare('SELECT * FROM top_keys').all()), beforeTop);
  } finally {
    db.close();
  }
});
