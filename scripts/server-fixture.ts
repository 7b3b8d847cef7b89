/**
 * Writes a server fixture for the memory model and the decoder: starts the given redis-server / valkey-server
 * binary on a free loopback port with a temporary directory, loads scripts/fixtures/server-data.ts, takes the
 * server's own `MEMORY USAGE key SAMPLES 0`, `OBJECT ENCODING`, TYPE and TTL of every key, `INFO`, `MEMORY STATS`
 * and the encoding thresholds, reads a sample of values back, then SAVEs and writes
 * `fixtures/servers/<name>/{dump.rdb, keys.tsv, server.json, values.json}`. Format: fixtures/servers/README.md.
 *
 *   node --import tsx scripts/server-fixture.ts --server /path/to/redis-server --allocator bundled [--cluster] [--name N]
 *
 * `--allocator` says how the binary was built: `bundled` (its own jemalloc, the upstream default) or `system`
 * (linked to the distribution's jemalloc, as Debian's package). The name defaults to `<server>-<version>[-cluster]`.
 */
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, resp } from '../test/helpers/redis.js';
import { Readback, bytesJson, type ExpectedKey } from './lib/readback.js';
import { serverDataset, type ServerFeatures } from './fixtures/server-data.js';

const OUT = resolve(import.meta.dirname, '..', 'fixtures', 'servers');
const THRESHOLDS = ['hash-max-listpack-entries', 'hash-max-listpack-value', 'hash-max-ziplist-entries', 'hash-max-ziplist-value',
  'set-max-intset-entries', 'set-max-listpack-entries', 'set-max-listpack-value', 'zset-max-listpack-entries',
  'zset-max-listpack-value', 'zset-max-ziplist-entries', 'list-max-listpack-size', 'list-max-ziplist-size',
  'list-compress-depth', 'stream-node-max-bytes', 'stream-node-max-entries', 'maxmemory-policy'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function version(v: string): number {
  const [a, b] = v.split('.').map(Number);
  return (a ?? 0) * 100 + (b ?? 0);
}

/** Key as it stands in keys.tsv: text when printable UTF-8 without tabs, else `hex:...`. */
function keyCell(k: Buffer): string {
  const b = bytesJson(k);
  return typeof b === 'string' && !/[\t\n\r\\]/.test(b) && !b.startsWith('hex:') ? b : `hex:${k.toString('hex')}`;
}

async function main(): Promise<void> {
  const server = arg('server');
  const allocator = arg('allocator');
  if (!server || (allocator !== 'bundled' && allocator !== 'system')) {
    throw new Error('usage: server-fixture.ts --server BIN --allocator bundled|system [--cluster] [--name N]');
  }
  const cluster = process.argv.includes('--cluster');
  const args = ['--enable-debug-command', 'yes'];
  if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
  let r = await startRedis(args, { server }).catch(() => null);
  // Redis 6.2 has no enable-debug-command (DEBUG is always on there).
  if (!r) r = await startRedis(args.slice(2), { server });
  const srv = r;
  const rb = new Readback(srv.port);
  try {
    const info = parseInfo(String(await rb.client.info('server')));
    const valkey = info.valkey_version ?? (info.server_name === 'valkey' ? info.redis_version : undefined);
    const ver = valkey ?? info.redis_version!;
    const v = version(ver);
    const name = arg('name') ?? `${valkey ? 'valkey' : 'redis'}-${ver}${cluster ? '-cluster' : ''}`;
    if (cluster) {
      if (v >= 700 || valkey) await rb.cmd('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
      else await rb.cmd('CLUSTER', 'ADDSLOTS', ...Array.from({ length: 16384 }, (_, i) => i));
      for (let i = 0; !/cluster_state:ok/.test(String(await rb.client.cluster('INFO'))); i++) {
        if (i > 100) throw new Error('the cluster did not become ok');
        await sleep(100);
      }
    }
    const features: ServerFeatures = {
      listpackSets: !!valkey || v >= 702,
      fieldTtls: valkey ? v >= 900 : v >= 704,
      plainNodes: !!valkey || v >= 700,
      cluster,
      small: cluster,
    };
    for (const batch of serverDataset(features)) srv.pipe(Buffer.concat(batch.map((c) => resp(...c))));

    // The truth first, before any read that could move a dict's incremental rehashing.
    const dbs = cluster ? [0] : [0, 1];
    const rows: string[] = ['db\tkey\ttype\tencoding\texpires_at_ms\tmemory_usage'];
    const all: Array<[number, Buffer, string]> = [];
    for (const db of dbs) {
      const keys = await rb.keysOf(db);
      for (const k of keys) {
        const mem = Number(await rb.cmd('MEMORY', 'USAGE', k, 'SAMPLES', 0));
        const type = String(await rb.cmd('TYPE', k));
        const enc = String(await rb.cmd('OBJECT', 'ENCODING', k));
        const exp = await rb.expireTime(k);
        rows.push([db, keyCell(k), type, enc, exp < 0 ? '' : String(exp), String(mem)].join('\t'));
        all.push([db, k, type]);
      }
    }
    const infoMemory = parseInfo(String(await rb.client.info('memory')));
    const infoKeyspace = parseInfo(String(await rb.client.info('keyspace')));
    const memoryStats = await rb.client.call('MEMORY', 'STATS');
    const config: Record<string, string> = {};
    for (const c of THRESHOLDS) {
      const res = (await rb.client.call('CONFIG', 'GET', c)) as string[];
      if (res.length === 2) config[res[0]!] = res[1]!;
    }

    // A sample of values, read back with the server's own commands (every stream, every field-TTL hash, the edges).
    const sample: ExpectedKey[] = [];
    let n = 0;
    await rb.cmd('SELECT', 0);
    for (const [db, k, type] of all) {
      const ks = k.toString('latin1');
      const pick = type === 'stream' || ks.startsWith('hfe:lp') || ks === 'hfe:ht:3' || /:(lp|ht|sl|node|plain|edge|int:512)/.test(ks) || n++ % 15 === 0;
      if (!pick || /(big|mid|long|set:str)/.test(ks) && type !== 'stream' || ks === 'x:big') continue;
      if (cluster || db === 0) sample.push(await rb.key(db, k));
      else { await rb.cmd('SELECT', db); sample.push(await rb.key(db, k)); await rb.cmd('SELECT', 0); }
    }

    const dir = join(OUT, name);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await rb.cmd('SELECT', 0);
    copyFileSync(srv.save(), join(tmp, 'dump.rdb'));
    writeFileSync(join(tmp, 'keys.tsv'), `${rows.join('\n')}\n`);
    writeFileSync(join(tmp, 'values.json'), `[\n${sample.map((s) => JSON.stringify(s)).join(',\n')}\n]\n`);
    writeFileSync(join(tmp, 'server.json'), `${JSON.stringify({
      name, server: valkey ? 'valkey' : 'redis', version: ver, allocator, cluster,
      comment: 'Written by scripts/server-fixture.ts from the server itself (format: fixtures/servers/README.md)',
      info: { server: info, memory: infoMemory, keyspace: infoKeyspace }, memoryStats, config,
    }, null, 1)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    process.stderr.write(`server-fixture: ${name}: ${all.length} keys, dump ${statSync(join(dir, 'dump.rdb')).size} bytes\n`);
  } finally {
    await rb.close().catch(() => undefined);
    await srv.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`server-fixture: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
