/**
 * apply and restore over TLS (rediss://, a CA the test makes) and against a three-node Redis Cluster (detected
 * from INFO, keys routed to the node of their slot).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { freePort, haveRedisServer, resp, startRedis, type RedisInstance } from './helpers/redis.js';

const ROOT = new URL('..', import.meta.url).pathname;
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = !haveRedisServer() ? 'redis-server not installed' : !existsSync(join(ROOT, 'dist/cli.js')) ? 'dist/ not built (npm run build): index runs from dist' : false;

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const argv = args[0] === 'index' ? [join(ROOT, 'dist/cli.js'), ...args] : ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args];
  return spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
}

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('apply and restore over TLS', { skip: skip || (!haveOpenssl && 'openssl not installed') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-tls-'));
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=rdbscope test CA');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2',
    '-extfile', 'san.ext');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tlsPort = await freePort();
  const r = await startRedis(['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'),
    '--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'no']);
  t.after(() => r.stop());
  r.pipe(Buffer.concat([resp('SET', 'a', '1'), resp('SET', 'b', '2'), resp('SET', 'c', '3')]));
  const inv = join(dir, 'inv.sqlite');
  const plan = join(dir, 'p.plan');
  assert.equal(run(['index', r.save(), '-o', inv, '-q']).status, 0);
  assert.equal(run(['plan', '--in', inv, '--where', "key_text <> 'c'", '--action', 'unlink', '--out', plan]).status, 0);
  const url = `rediss://localhost:${tlsPort}`;
  const untrusted = run(['apply', plan, '--url', url]);
  assert.equal(untrusted.status, 2, 'a certificate the client does not trust is refused');
  assert.match(untrusted.stderr, /^rdbscope: cannot connect to rediss:\/\/localhost:\d+: .*(certificate|self.signed)/i);
  const env = { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') };
  const applied = run(['apply', plan, '--url', url, '--execute'], env);
  assert.equal(applied.status, 0, applied.stderr);
  assert.match(applied.stdout, /applied 2,/);
  assert.equal(r.cli('DBSIZE'), '1');
  assert.equal(run(['restore', `${plan}.backup`, '--url', url], env).status, 0);
  assert.equal(r.cli('DBSIZE'), '3');
});

async function startCluster(): Promise<RedisInstance[]> {
  const nodes: RedisInstance[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], { encoding: 'utf8' });
  assert.equal(create.status, 0, create.stdout + create.stderr);
  for (let i = 0; i < 100; i++) {
    if (nodes.every((n) => /cluster_state:ok/.test(n.cli('CLUSTER', 'INFO')))) return nodes;
    await sleep(100);
  }
  throw new Error('the cluster did not become ok');
}

test('apply and restore against a Redis Cluster', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-cluster-'));
  const nodes = await startCluster();
  const c = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }]);
  t.after(async () => {
    c.disconnect();
    for (const n of nodes) await n.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const keys = Array.from({ length: 60 }, (_, i) => `user:{${i}}:name`);
  for (const k of keys) await c.set(k, `v-${k}`);
  // The snapshot of the second node; the URL names the first (the client follows the slots).
  const shard = nodes[1]!;
  const inv = join(dir, 'inv.sqlite');
  const plan = join(dir, 'p.plan');
  assert.equal(run(['index', shard.save(), '-o', inv, '-q']).status, 0);
  assert.equal(run(['plan', '--in', inv, '--where', '1', '--action', 'unlink', '--out', plan]).status, 0);
  const planned = readFileSync(plan, 'utf8').split('\n').filter((l) => l.startsWith('UNLINK')).length;
  const onShard = Number(shard.cli('DBSIZE'));
  assert.ok(planned === onShard && planned > 0 && planned < keys.length, `${planned} keys planned, ${onShard} on the shard`);
  const url = `redis://127.0.0.1:${nodes[0]!.port}`;
  const dry = run(['apply', plan, '--url', url]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`dry run: ${planned} would apply`));
  const applied = run(['apply', plan, '--url', url, '--execute']);
  assert.equal(applied.status, 0, applied.stderr);
  assert.match(applied.stdout, new RegExp(`applied ${planned},`));
  assert.equal(shard.cli('DBSIZE'), '0');
  assert.equal(Number(nodes[0]!.cli('DBSIZE')) + Number(nodes[2]!.cli('DBSIZE')), keys.length - planned);
  const restored = run(['restore', `${plan}.backup`, '--url', url]);
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(Number(shard.cli('DBSIZE')), planned);
  for (const k of keys) assert.equal(await c.get(k), `v-${k}`);
});
