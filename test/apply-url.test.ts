/** Passwords never reach output, whatever is wrong with the URL (apply and restore print the URL in errors). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { redactUrl } from '../src/apply/connect.js';

const cli = join(resolve(import.meta.dirname, '..'), 'dist', 'cli.js');
const SECRET = 's3cretPW';
const urls = [
  `user:${SECRET}@127.0.0.1:7702`, `redis:/user:${SECRET}@127.0.0.1:7702`, `redis://user:${SECRET}@127.0.0.1:1/x`,
  `redis://:${SECRET}@127.0.0.1:1/x`, `http://user:${SECRET}@127.0.0.1:1`, `redis://user:${SECRET}@@127.0.0.1:1/x`,
  `redis://user:pa/${SECRET}@127.0.0.1:1/x`, `${SECRET}@127.0.0.1:1`, `redis://${SECRET}@[::1`,
];

test('redactUrl masks the password of well-formed and malformed URLs alike', () => {
  for (const u of urls) assert.ok(!redactUrl(u).includes(SECRET), `${u} -> ${redactUrl(u)}`);
  assert.equal(redactUrl('redis://admin:pw@10.0.0.1:6379/2'), 'redis://admin:***@10.0.0.1:6379/2');
  assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
});

test('restore with a malformed URL: a one-line error without the password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-url-'));
  const backup = join(dir, 'empty.backup');
  writeFileSync(backup, '\n');
  for (const u of urls) {
    const r = spawnSync('node', [cli, 'restore', backup, '--url', u], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, u);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET), `${u}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
