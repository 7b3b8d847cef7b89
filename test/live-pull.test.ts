/**
 * Pulling a snapshot from running servers (real redis-server processes): a replica of a primary, a primary refused
 * without --allow-primary, an ACL user, TLS, diskless and disk-based sync, SYNC refused, a server killed mid-sync;
 * the keys and their memory equal those of the same server's saved dump.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { freePort, haveRedisServer, resp, startRedis, type RedisInstance } from './helpers/redis.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')] as const;
const noRedis = haveRedisServer() ? {} : { skip: 'no redis-server' };
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-live-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Keys of every type, some with a TTL, a few binary; `n` strings besides. */
function populate(r: RedisInstance, n: number): void {
  const cmds: Buffer[] = [];
  for (let i = 0; i < n; i++) cmds.push(resp('SET', `user:${i}:name`, `name-${i}-${'x'.repeat(i % 50)}`));
  for (let i = 0; i < 200; i++) cmds.push(resp('HSET', `session:${i}`, 'uid', String(i), 'ip', '10.0.0.1', 'agent', 'curl/8'), resp('EXPIRE', `session:${i}`, '86400'));
  for (let i = 0; i < 50; i++) cmds.push(resp('RPUSH', `queue:${i}`, ...Array.from({ length: 20 + i * 10 }, (_, j) => `job-${j}`)));
  for (let i = 0; i < 30; i++) cmds.push(resp('ZADD', `board:${i}`, ...Array.from({ length: 150 }, (_, j) => [String(j), `m${j}`]).flat()));
  for (let i = 0; i < 30; i++) cmds.push(resp('SADD', `tags:${i}`, ...Array.from({ length: 40 }, (_, j) => String(j * 7))));
  cmds.push(resp('SET', Buffer.from([0xff, 0x00, 0x80, 0x0a]), Buffer.from([1, 2, 3])));
  cmds.push(resp('SET', 'big:blob', 'y'.repeat(200_000)));
  r.pipe(Buffer.concat(cmds));
}

type Row = [number, string, string, string, number, number | null];
function rows(file: string, snapshot: number): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT db, hex(key), type, encoding, memory, expires_at FROM keys WHERE snapshot_id = ? ORDER BY db, key').raw().all(snapshot) as Row[];
  } finally {
    db.close();
  }
}

function snapshots(file: string): Array<{ id: number; source: string; label: string; status: string; key_count: number | null; memory_total: number | null }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, source, label, status, key_count, memory_total FROM snapshots ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

/** Indexes the server's SAVEd dump into `out` and returns that snapshot's id. */
function indexSaved(r: RedisInstance, out: string): number {
  const file = join(dir, `saved-${r.port}.rdb`);
  writeFileSync(file, readFileSync(r.save()));
  const res = cli(['index', file, '-o', out, '-q', '--format', 'json']);
  assert.equal(res.status, 0, res.stderr);
  return (JSON.parse(res.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
}

function pullIndex(url: string, out: string, extra: string[] = [], env: Record<string, string> = {}): Run {
  return cli(['index', '--url', url, '-o', out, '-q', '--format', 'json', ...extra], env);
}

async function waitFor(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('a replica is pulled (keys and memory equal its saved dump); its primary is refused without --allow-primary', noRedis, async (t) => {
  const primary = await startRedis(['--repl-diskless-sync-delay', '0']);
  t.after(() => primary.stop());
  populate(primary, 5000);
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port), '--repl-diskless-sync-delay', '0']);
  t.after(() => replica.stop());
  await waitFor('the replica to sync', () => /master_link_status:up/.test(replica.cli('INFO', 'replication')) && replica.cli('DBSIZE') === primary.cli('DBSIZE'));

  const out = join(dir, 'replica.sqlite');
  const refused = pullIndex(primary.url, out);
  assert.equal(refused.status, 1, refused.stderr);
  const lines = refused.stderr.trim().split('\n');
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0]!, /^rdbscope: redis:\/\/127\.0\.0\.1:\d+ is a primary \(role:master\).*--allow-primary/);
  assert.equal(snapshots(out).length, 0, 'a refused pull leaves no snapshot');

  const pulled = pullIndex(replica.url, out);
  assert.equal(pulled.status, 0, pulled.stderr);
  const res = (JSON.parse(pulled.stdout) as Array<{ snapshotId: number; source: string; keys: number }>)[0]!;
  assert.equal(res.source, replica.url);
  assert.equal(res.keys, Number(replica.cli('DBSIZE')));
  const savedId = indexSaved(replica, out);
  const [live, saved] = snapshots(out);
  assert.equal(live!.source, replica.url);
  assert.equal(live!.label, replica.url);
  assert.equal(live!.status, 'complete');
  assert.equal(live!.key_count, saved!.key_count);
  assert.equal(live!.memory_total, saved!.memory_total);
  assert.deepEqual(rows(out, res.snapshotId), rows(out, savedId));

  // info and dump read the same server the same way
  const info = cli(['info', '--url', replica.url, '--format', 'json']);
  assert.equal(info.status, 0, info.stderr);
  const parsed = JSON.parse(info.stdout) as { file: string; summary: { keys: number } };
  assert.equal(parsed.file, replica.url);
  assert.equal(parsed.summary.keys, res.keys);
  const dump = cli(['dump', '--url', replica.url]);
  assert.equal(dump.status, 0, dump.stderr);
  assert.equal(dump.stdout.trim().split('\n').length, res.keys);
  assert.equal(cli(['dump', '--url', primary.url]).status, 1);
  assert.equal(cli(['dump', '--url', primary.url, '--allow-primary']).status, 0);
});

for (const diskless of ['yes', 'no']) {
  test(`repl-diskless-sync ${diskless}: the pulled snapshot equals the saved dump`, noRedis, async (t) => {
    const r = await startRedis(['--repl-diskless-sync', diskless, '--repl-diskless-sync-delay', '0']);
    t.after(() => r.stop());
    populate(r, 20_000);
    const out = join(dir, `diskless-${diskless}.sqlite`);
    const pulled = pullIndex(r.url, out, ['--allow-primary']);
    assert.equal(pulled.status, 0, pulled.stderr);
    const id = (JSON.parse(pulled.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
    const log = readFileSync(join(r.dir, 'redis.log'), 'utf8');
    if (diskless === 'yes') assert.match(log, /Streamed RDB transfer with replica .* succeeded|Starting BGSAVE for SYNC with target: replicas sockets/);
    else assert.match(log, /Starting BGSAVE for SYNC with target: disk/);
    const savedId = indexSaved(r, out);
    assert.deepEqual(rows(out, id), rows(out, savedId));
    const [a, b] = snapshots(out);
    assert.equal(a!.memory_total, b!.memory_total);
    assert.doesNotMatch(pulled.stderr, /pulling/, 'no progress line without a terminal');
    // on a terminal (script gives the command one): the bytes received, then the line cleared
    if (spawnSync('script', ['--version']).status === 0) {
      const cmd = [...CLI, 'info', '--url', r.url, '--allow-primary'].map((x) => `'${x}'`).join(' ');
      const tty = spawnSync('script', ['-qc', `${cmd} > /dev/null`, '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
      const of = diskless === 'yes' ? '' : String.raw` / \d+\.\d MiB \(\d+%\)`;
      assert.match(tty.stdout, new RegExp(String.raw`\rpulling redis://127\.0\.0\.1:${r.port}: \d+\.\d MiB${of} received\x1b\[K`), JSON.stringify(tty.stdout));
      assert.ok(tty.stdout.endsWith('\r\x1b[K'), 'the progress line is cleared');
    }
  });
}

test('an ACL user with a password (URL or RDBSCOPE_PASSWORD): pulled, and the password is nowhere in the output or the inventory', noRedis, async (t) => {
  const secret = 'S3cret-pw-xyzzy';
  const r = await startRedis(['--user', 'puller', 'on', `>${secret}`, '~*', '&*', '+@all', '--repl-diskless-sync-delay', '0']);
  t.after(() => r.stop());
  populate(r, 100);
  r.cli('ACL', 'SETUSER', 'default', 'off');
  const out = join(dir, 'acl.sqlite');
  const viaUrl = pullIndex(`redis://puller:${secret}@127.0.0.1:${r.port}`, out, ['--allow-primary', '--force']);
  assert.equal(viaUrl.status, 0, viaUrl.stderr);
  const viaEnv = pullIndex(`redis://puller@127.0.0.1:${r.port}`, out, ['--allow-primary', '--force'], { RDBSCOPE_PASSWORD: secret });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  const wrong = pullIndex(`redis://puller:nope@127.0.0.1:${r.port}`, out, ['--allow-primary']);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /^rdbscope: redis:\/\/127\.0\.0\.1:\d+: authentication failed \(WRONGPASS/);
  const none = pullIndex(`redis://127.0.0.1:${r.port}`, out, ['--allow-primary']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /authentication failed|needs a password/);
  const badUrl = cli(['info', '--url', `redis:/puller:${secret}@127.0.0.1`]);
  assert.equal(badUrl.status, 2);
  assert.match(badUrl.stderr, /^rdbscope: \*\*\*@127\.0\.0\.1: the URL names no host\n$/);
  const badScheme = cli(['dump', '--url', `http://puller:${secret}@127.0.0.1:${r.port}`]);
  assert.match(badScheme.stderr, /^rdbscope: http:\/\/puller:\*\*\*@127\.0\.0\.1:\d+: the URL must start with redis:\/\/ or rediss:\/\/\n$/);
  for (const run of [viaUrl, viaEnv, wrong, none, badUrl, badScheme]) assert.ok(!(run.stdout + run.stderr).includes(secret));
  assert.deepEqual(snapshots(out).map((s) => [s.source, s.status]), [[r.url, 'complete'], [r.url, 'complete']]);
  const fdb = new Database(out, { readonly: true });
  assert.ok((fdb.prepare("SELECT count(*) FROM server_facts WHERE name LIKE 'config.%'").pluck().get() as number) > 10, 'facts read as the ACL user');
  fdb.close();
  assert.ok(!readFileSync(out).includes(secret), 'the password is not stored');
});

function haveOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

test('TLS: rediss:// with --cacert', noRedis, async (t) => {
  // A build without TLS rejects the tls-port directive itself; one with TLS reaches the next (bad) directive.
  const probe = spawnSync('redis-server', ['--tls-port', '0', '--zz-probe', '1'], { encoding: 'utf8' });
  if (!/>>> 'zz-probe/.test(probe.stdout + probe.stderr) || !haveOpenssl()) {
    t.skip('this redis-server was built without TLS, or openssl is missing');
    return;
  }
  const tdir = mkdtempSync(join(dir, 'tls-'));
  const ssl = (...a: string[]): void => {
    const r = spawnSync('openssl', a, { cwd: tdir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=rdbscope test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(tdir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  const tlsPort = await freePort();
  const r = await startRedis(['--tls-port', String(tlsPort), '--tls-cert-file', join(tdir, 'server.crt'), '--tls-key-file', join(tdir, 'server.key'),
    '--tls-ca-cert-file', join(tdir, 'ca.crt'), '--tls-auth-clients', 'no', '--tls-replication', 'yes', '--repl-diskless-sync-delay', '0']);
  t.after(() => r.stop());
  populate(r, 1000);
  const out = join(dir, 'tls.sqlite');
  const url = `rediss://127.0.0.1:${tlsPort}`;
  const noCa = pullIndex(url, out, ['--allow-primary']);
  assert.equal(noCa.status, 1);
  assert.match(noCa.stderr, /^rdbscope: cannot connect to rediss:\/\/127\.0\.0\.1:\d+: .*(self.signed|certificate)/i);
  const pulled = pullIndex(url, out, ['--allow-primary', '--cacert', join(tdir, 'ca.crt')]);
  assert.equal(pulled.status, 0, pulled.stderr);
  const id = (JSON.parse(pulled.stdout) as Array<{ snapshotId: number }>)[0]!.snapshotId;
  assert.equal(snapshots(out)[0]!.source, url);
  const fdb = new Database(out, { readonly: true });
  assert.equal(fdb.prepare("SELECT value FROM server_facts WHERE snapshot_id = ? AND name = 'info.server.tcp_port'").pluck().get(id), String(r.port), 'facts read over TLS too');
  fdb.close();
  const savedId = indexSaved(r, out);
  assert.deepEqual(rows(out, id), rows(out, savedId));
});

test('a server that refuses SYNC: one line saying so and how to export a backup instead', noRedis, async (t) => {
  const r = await startRedis(['--rename-command', 'SYNC', '']);
  t.after(() => r.stop());
  r.cli('SET', 'a', '1');
  const out = join(dir, 'nosync.sqlite');
  for (const args of [['index', '--url', r.url, '-o', out, '--allow-primary'], ['info', '--url', r.url, '--allow-primary'], ['dump', '--url', r.url, '--allow-primary']]) {
    const res = cli(args);
    assert.equal(res.status, 1, res.stderr);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0]!, /^rdbscope: redis:\/\/127\.0\.0\.1:\d+ refused to send a snapshot over replication \(SYNC: .*unknown command.*\); export a backup instead: BGSAVE .* dump\.rdb, or use the managed service's backup export/);
  }
  assert.equal(snapshots(out).length, 0);
});

test('a server killed mid-transfer: non-zero exit, one line, no complete snapshot', noRedis, async (t) => {
  const r = await startRedis(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0']);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await r.stop();
  });
  populate(r, 40_000);
  r.cli('CONFIG', 'SET', 'rdb-key-save-delay', '100'); // 100 µs a key: a transfer of about 4 s
  const out = join(dir, 'killed.sqlite');
  const child = spawn(CLI[0], [...CLI.slice(1), 'index', '--url', r.url, '-o', out, '--allow-primary', '-q'], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await waitFor('the transfer to start', () => /rdb_bgsave_in_progress:1/.test(r.cli('INFO', 'persistence')));
  await sleep(800);
  await r.stop();
  stopped = true;
  const code = await exited;
  assert.equal(code, 1, stderr);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^rdbscope: redis:\/\/127\.0\.0\.1:\d+: offset \d+: expected the rest of the snapshot from redis:\/\/127\.0\.0\.1:\d+ \(the connection was lost after \d+ bytes of it\)/);
  const snaps = snapshots(out);
  assert.equal(snaps.length, 1);
  assert.equal(snaps[0]!.status, 'failed');
  const db = new Database(out, { readonly: true });
  assert.equal(db.prepare('SELECT count(*) FROM complete_keys').pluck().get(), 0);
  db.close();
});
