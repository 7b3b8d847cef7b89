/**
 * The full cycle against a real redis-server: load, SAVE, index, plan, dry run (nothing changes), apply (exactly
 * the planned changes, a key changed since the snapshot skipped), restore (DUMP byte-identical, expiry kept);
 * each action on live data; the server identity check; passwords never shown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { haveRedisServer, resp, startRedis, type RedisInstance } from './helpers/redis.js';
import { liveServer } from './helpers/live.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const skip = !haveRedisServer() ? 'redis-server not installed' : !existsSync(join(ROOT, 'dist/cli.js')) ? 'dist/ not built (npm run build): index runs from dist' : false;

interface Run { status: number | null; stdout: string; stderr: string }

/** rdbscope from the sources (plan/apply/restore), or from dist for index (its workers need compiled files). */
function rdbscope(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const argv = args[0] === 'index' ? [join(ROOT, 'dist/cli.js'), ...args] : ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args];
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Run): Run {
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return r;
}

function jsonLines(out: string): Array<Record<string, unknown>> {
  return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every key of db 0 with its DUMP and absolute expiry (binary safe). */
async function snapshotOf(c: Redis): Promise<Map<string, { dump: string; exp: number }>> {
  const m = new Map<string, { dump: string; exp: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await c.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (const k of keys) {
      const dump = (await c.dumpBuffer(k))!;
      const exp = Number(await c.call('PEXPIRETIME', k));
      m.set(k.toString('base64'), { dump: dump.toString('base64'), exp });
    }
  } while (cursor !== '0');
  return m;
}

const ODD_KEYS: Buffer[] = [
  Buffer.from('odd: with spaces'), Buffer.from('odd:"quoted" \'single\''), Buffer.from('odd:new\nline\r\n'),
  Buffer.from([0x6f, 0x64, 0x64, 0x3a, 0xff, 0x00, 0xfe, 0x80]), Buffer.from('odd:\\x41 backslash'), Buffer.from('odd:ключ'),
];

function load(r: RedisInstance): void {
  const cmds: Buffer[] = [];
  for (let i = 0; i < 30; i++) cmds.push(resp('SET', `str:${i}`, `value-${i}-`.repeat(i + 1)));
  for (let i = 0; i < 10; i++) cmds.push(resp('SET', `ttl:${i}`, `v${i}`, 'EX', String(3000 + i)));
  for (const k of ODD_KEYS) cmds.push(resp('SET', k, Buffer.from([0, 1, 2, 0xff])));
  cmds.push(resp('RPUSH', 'list:big', ...Array.from({ length: 3000 }, (_, i) => `item-${i}`)));
  cmds.push(resp('HSET', 'hash:1', ...Array.from({ length: 50 }, (_, i) => [`f${i}`, `v${i}`]).flat()));
  cmds.push(resp('SADD', 'set:1', ...Array.from({ length: 40 }, (_, i) => `m${i}`)));
  cmds.push(resp('ZADD', 'zset:1', ...Array.from({ length: 1500 }, (_, i) => [String(i), `z${i}`]).flat()));
  cmds.push(resp('XADD', 'stream:1', '*', 'a', '1'), resp('XADD', 'stream:1', '*', 'b', '2'));
  cmds.push(resp('HSET', 'hash:ttl', 'a', '1', 'b', '2'), resp('PEXPIRE', 'hash:ttl', '7200000'));
  for (let i = 0; i < 10; i++) cmds.push(resp('SET', `keep:${i}`, `k${i}`));
  r.pipe(Buffer.concat(cmds));
}

function indexed(r: RedisInstance, dir: string): string {
  const inv = join(dir, 'inv.sqlite');
  ok(rdbscope(['index', r.save(), '-o', inv, '-q', '--force']));
  return inv;
}

test('full cycle: plan, dry run, apply with a changed key skipped, restore byte-identical', { skip }, async (t) => {
  const { dir, r, c } = await liveServer(t, 'rdbscope-apply-');
  load(r);
  const inv = indexed(r, dir);
  const plan = join(dir, 'cleanup.plan');
  ok(rdbscope(['plan', '--in', inv, '--where', "key_text IS NULL OR key_text NOT LIKE 'keep:%'", '--action', 'unlink', '--out', plan]));
  const before = await snapshotOf(c);
  const planned = [...before.keys()].filter((k) => !Buffer.from(k, 'base64').toString().startsWith('keep:'));
  assert.equal(planned.length, 30 + 10 + ODD_KEYS.length + 6);

  // Dry run: every key reported, nothing changes.
  const dry = ok(rdbscope(['apply', plan, '--url', r.url, '--format', 'json']));
  const dryOut = jsonLines(dry.stdout);
  assert.equal(dryOut.filter((o) => o.status === 'would-apply').length, planned.length);
  assert.deepEqual(await snapshotOf(c), before);
  assert.equal(existsSync(`${plan}.backup`), false);

  // A key changed between plan and apply is skipped, and so is one that is gone.
  await c.append('str:29', 'x'.repeat(2000));
  await c.del('str:0');
  await c.set(ODD_KEYS[2]!, 'now a longer value than before'); // binary key, changed size
  const run = ok(rdbscope(['apply', plan, '--url', r.url, '--execute', '--format', 'json', '--batch', '7']));
  const outs = jsonLines(run.stdout);
  const summary = outs.pop()!.summary as Record<string, number>;
  assert.equal(summary.applied, planned.length - 3);
  assert.equal(summary.changed, 2);
  assert.equal(summary.missing, 1);
  const byKey = new Map(outs.map((o) => [o.key_base64 as string, o]));
  assert.equal(byKey.get(Buffer.from('str:29').toString('base64'))!.status, 'changed');
  assert.match(String(byKey.get(Buffer.from('str:29').toString('base64'))!.detail), /size is \d+, was \d+/);
  assert.equal(byKey.get(ODD_KEYS[2]!.toString('base64'))!.status, 'changed');
  assert.equal(byKey.get(Buffer.from('str:0').toString('base64'))!.status, 'missing');
  const after = await snapshotOf(c);
  const survivors = [...after.keys()].map((k) => Buffer.from(k, 'base64').toString('latin1')).sort();
  const expected = [...Array.from({ length: 10 }, (_, i) => `keep:${i}`), 'str:29', ODD_KEYS[2]!.toString('latin1')].sort();
  assert.deepEqual(survivors, expected);
  for (let i = 0; i < 10; i++) assert.deepEqual(after.get(Buffer.from(`keep:${i}`).toString('base64')), before.get(Buffer.from(`keep:${i}`).toString('base64')));

  // Restore: every deleted key back with the same DUMP bytes and the same absolute expiry.
  const rest = ok(rdbscope(['restore', `${plan}.backup`, '--url', r.url, '--format', 'json']));
  const rs = jsonLines(rest.stdout).pop()!.summary as Record<string, number>;
  assert.equal(rs.restored, planned.length - 3);
  const restored = await snapshotOf(c);
  const backedUp = readFileSync(`${plan}.backup`, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as { key: string; dump: string });
  assert.equal(backedUp.length, planned.length - 3);
  for (const b of backedUp) assert.equal(b.dump, before.get(b.key)!.dump, 'the backup holds the DUMP the key had');
  for (const k of planned) {
    const name = Buffer.from(k, 'base64');
    if (['str:29', 'str:0'].includes(name.toString()) || k === ODD_KEYS[2]!.toString('base64')) continue;
    assert.equal(restored.get(k)!.exp, before.get(k)!.exp, `expiry of ${name.toString('latin1')}`);
    if ((await c.type(name)) === 'set' && (await c.object('ENCODING', name)) === 'hashtable') {
      // A hashtable's DUMP lists members in table order, which a reload may change: compare the members.
      const copy = Buffer.from('copy-of-set');
      await c.restore(copy, 0, Buffer.from(before.get(k)!.dump, 'base64'));
      assert.deepEqual((await c.smembers(name)).sort(), (await c.smembers(copy)).sort());
      await c.del(copy);
    } else assert.equal(restored.get(k)!.dump, before.get(k)!.dump, `DUMP of ${name.toString('latin1')}`);
  }
  assert.ok(before.get(Buffer.from('ttl:3').toString('base64'))!.exp > 0);
  // Again: they exist now, so nothing is overwritten without --replace (exit 1), and --replace does it.
  const again = rdbscope(['restore', `${plan}.backup`, '--url', r.url]);
  assert.equal(again.status, 1);
  assert.match(again.stdout, new RegExp(`restored 0, ${planned.length - 3} already existed`));
  ok(rdbscope(['restore', `${plan}.backup`, '--url', r.url, '--replace']));

  // A second apply of the same plan: every line is already done (journal), nothing is sent.
  const rerun = ok(rdbscope(['apply', plan, '--url', r.url, '--execute']));
  assert.match(rerun.stdout, new RegExp(`applied 0, .* ${planned.length} already done`));
  assert.equal((await snapshotOf(c)).size, restored.size);
});

test('expire, cap-ttl, hdel, persist and trim on a live server', { skip }, async (t) => {
  const { dir, r, c } = await liveServer(t, 'rdbscope-apply-');
  load(r);
  const inv = indexed(r, dir);
  const p = (name: string, ...args: string[]): string => {
    const out = join(dir, name);
    ok(rdbscope(['plan', '--in', inv, '--out', out, ...args]));
    return out;
  };
  const exp = p('expire.plan', '--where', "key_text LIKE 'str:%'", '--action', 'expire', '--ttl', '600');
  const cap = p('cap.plan', '--where', "key_text LIKE 'ttl:%'", '--action', 'cap-ttl', '--ttl', '100');
  const hdel = p('hdel.plan', '--where', "key_text = 'hash:1'", '--action', 'hdel', '--fields', 'f1,f2');
  // a field that no hash of the family has is refused, by name (the inventory counted the family's field names)
  const nope = rdbscope(['plan', '--in', inv, '--out', join(dir, 'nope.plan'), '--where', "key_text = 'hash:1'", '--action', 'hdel', '--fields', 'f1', 'nope']);
  assert.equal(nope.status, 2, nope.stderr);
  assert.match(nope.stderr, /^rdbscope: --fields: no hash of the selected keys has a field "nope" \(their fields: /);
  const trim = p('trim.plan', '--where', "key_text IN ('list:big', 'zset:1')", '--action', 'trim', '--keep', '1000', '--batch', '700');
  const persist = p('persist.plan', '--where', "key_text = 'hash:ttl'", '--action', 'persist');
  const listBefore = await c.lrange('list:big', 0, 999);
  const listDump = (await c.dumpBuffer('list:big'))!;
  await c.expire('str:5', 50); // gained a TTL since the snapshot: EXPIRE NX must leave it alone

  const e = jsonLines(ok(rdbscope(['apply', exp, '--url', r.url, '--execute', '--format', 'json'])).stdout);
  assert.equal((e.pop()!.summary as Record<string, number>).applied, 29);
  assert.match(String(e.find((o) => o.key === 'str:5')!.detail), /it has a TTL now, it had none/);
  for (let i = 0; i < 30; i++) {
    const ttl = await c.ttl(`str:${i}`);
    if (i === 5) assert.ok(ttl <= 50 && ttl > 0);
    else assert.ok(ttl > 590 && ttl <= 600, `str:${i} ttl ${ttl}`);
  }
  // The keys given a TTL were backed up first: restore --replace puts them back without it.
  assert.equal(readFileSync(`${exp}.backup`, 'utf8').trim().split('\n').length, 1 + 29);
  ok(rdbscope(['restore', `${exp}.backup`, '--url', r.url, '--replace']));
  assert.equal(await c.ttl('str:1'), -1);
  assert.ok((await c.ttl('str:5')) > 0, 'str:5 was not touched, so not backed up');
  ok(rdbscope(['apply', cap, '--url', r.url, '--execute']));
  for (let i = 0; i < 10; i++) assert.ok((await c.ttl(`ttl:${i}`)) <= 100);
  const quiet = ok(rdbscope(['apply', hdel, '--url', r.url, '--summary'])).stdout.trim().split('\n');
  assert.deepEqual(quiet.length, 1, 'a dry run with --summary prints its summary only');
  assert.match(quiet[0]!, /^dry run: 1 would apply, 0 changed since snapshot/);
  await c.hdel('hash:1', 'f2'); // another client removed one of the two fields since the snapshot
  assert.match(ok(rdbscope(['apply', hdel, '--url', r.url])).stdout, /HDEL "hash:1" f1 f2: would apply \(1 of 2 named fields exist\)$/m);
  ok(rdbscope(['apply', hdel, '--url', r.url, '--execute']));
  assert.equal(await c.hlen('hash:1'), 48);
  assert.equal(await c.hexists('hash:1', 'f1'), 0);
  // The same fields again: the guard finds none of them (HEXISTS), says so and runs nothing.
  const again = p('hdel-again.plan', '--where', "key_text = 'hash:1'", '--action', 'hdel', '--fields', 'f1', '--fields', 'f2');
  const dry = ok(rdbscope(['apply', again, '--url', r.url])).stdout;
  assert.match(dry, /: skipped: would change nothing \(none of its 2 named fields exist\)$/m);
  assert.match(dry, /^dry run: 0 would apply, 0 changed since snapshot, 0 missing, 1 would change nothing \(none of the named fields exist\)/m);
  const run = jsonLines(ok(rdbscope(['apply', again, '--url', r.url, '--execute', '--format', 'json'])).stdout);
  assert.equal((run.pop()!.summary as Record<string, number>)['no-effect'], 1);
  assert.equal(await c.hlen('hash:1'), 48);
  ok(rdbscope(['apply', persist, '--url', r.url, '--execute']));
  assert.equal(await c.ttl('hash:ttl'), -1);

  // Trim: the plan's dry run follows the batches of one key; the apply keeps the list head and the top of the zset.
  const trimDry = ok(rdbscope(['apply', trim, '--url', r.url]));
  assert.match(trimDry.stdout, /^line \d+ db 0: LTRIM "list:big" 0 1599: would apply \(after the earlier command on this key\)$/m);
  assert.match(trimDry.stdout, /dry run: 4 would apply/);
  ok(rdbscope(['apply', trim, '--url', r.url, '--execute', '--batch', '1']));
  assert.deepEqual(await c.lrange('list:big', 0, -1), listBefore);
  assert.deepEqual(await c.zrange('zset:1', 0, 0), ['z500']);
  assert.equal(await c.zcard('zset:1'), 1000);
  const backup = readFileSync(`${trim}.backup`, 'utf8').trim().split('\n');
  assert.equal(backup.length, 1 + 2, 'header + one record per key, taken before its first batch');
  ok(rdbscope(['restore', `${trim}.backup`, '--url', r.url, '--replace']));
  assert.ok((await c.dumpBuffer('list:big'))!.equals(listDump));
  assert.equal(await c.llen('list:big'), 3000);
});

test('a plan\'s command lines and its RESP copy mean the same to redis-cli', { skip }, async (t) => {
  const { dir, r, c } = await liveServer(t, 'rdbscope-apply-');
  load(r);
  const inv = indexed(r, dir);
  const plan = join(dir, 'odd.plan');
  ok(rdbscope(['plan', '--in', inv, '--where', "key_text IS NULL OR key_text LIKE 'odd:%'", '--action', 'unlink', '--out', plan, '--format', 'resp']));
  const commands = readFileSync(plan, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(commands.length, 1 + ODD_KEYS.length, 'SELECT and one UNLINK a key');
  // Typed into redis-cli line by line (no comment lines: redis-cli would send them as commands).
  const typed = spawnSync('redis-cli', ['-p', String(r.port)], { input: commands.join('\n') + '\n', encoding: 'utf8' });
  assert.equal(typed.status, 0);
  assert.deepEqual(typed.stdout.trim().split('\n'), ['OK', ...ODD_KEYS.map(() => '1')]);
  for (const k of ODD_KEYS) assert.equal(await c.exists(k), 0, k.toString('latin1'));
  // The RESP copy through redis-cli --pipe: load the keys again, pipe, gone again.
  load(r);
  r.pipe(readFileSync(`${plan}.resp`));
  for (const k of ODD_KEYS) assert.equal(await c.exists(k), 0, k.toString('latin1'));
  assert.equal(await c.exists('str:1'), 1);
});

test('the server identity is checked against the snapshot\'s repl-id, and passwords are never shown', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-apply-'));
  const secret = 'S3cr3t-pa55';
  const r = await startRedis();
  t.after(async () => {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  r.cli('CONFIG', 'SET', 'requirepass', secret);
  const cli = (...a: string[]): string => spawnSync('redis-cli', ['-p', String(r.port), '-a', secret, '--no-auth-warning', ...a], { encoding: 'utf8' }).stdout.trim();
  cli('SET', 'a', '1');
  cli('SET', 'b', '2');
  cli('SAVE');
  const inv = join(dir, 'inv.sqlite');
  ok(rdbscope(['index', join(r.dir, 'dump.rdb'), '-o', inv, '-q']));
  const plan = join(dir, 'p.plan');
  ok(rdbscope(['plan', '--in', inv, '--where', '1', '--action', 'unlink', '--out', plan]));
  const text = readFileSync(plan, 'utf8');
  const url = `redis://:${secret}@127.0.0.1:${r.port}`;
  const all: string[] = [];
  const go = (args: string[], env: NodeJS.ProcessEnv = {}): Run => {
    const x = rdbscope(args, env);
    all.push(x.stdout, x.stderr);
    return x;
  };
  // No repl-id in a standalone SAVE: a warning, and the per-key guards still apply.
  assert.match(ok(go(['apply', plan, '--url', url])).stderr, /warning: the snapshot records no repl-id/);
  const replid = /master_replid:(\w+)/.exec(cli('INFO', 'replication'))![1]!;
  writeFileSync(plan, text.replace('# repl-id: none', `# repl-id: ${replid}`));
  assert.doesNotMatch(ok(go(['apply', plan, '--url', url])).stderr, /warning/);
  writeFileSync(plan, text.replace('# repl-id: none', `# repl-id: ${'f'.repeat(40)}`));
  const refused = go(['apply', plan, '--url', url, '--execute']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^rdbscope: redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is not the server the snapshot came from: .* use --force to apply anyway\n$/);
  assert.equal(cli('DBSIZE'), '2');
  // The password from the environment; --force overrides the identity check.
  const forced = ok(go(['apply', plan, '--url', `redis://127.0.0.1:${r.port}`, '--execute', '--force'], { REDISCLI_AUTH: secret }));
  assert.match(forced.stdout, /applied 2/);
  const wrong = go(['apply', plan, '--url', `redis://:wrong-${secret}@127.0.0.1:${r.port}`]);
  assert.notEqual(wrong.status, 0);
  assert.equal(wrong.stderr.trim().split('\n').length, 1);
  assert.match(wrong.stderr, /cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1/);
  const missing = go(['apply', plan, '--url', `redis://127.0.0.1:${r.port}`], { REDISCLI_AUTH: '', RDBSCOPE_PASSWORD: '' });
  assert.notEqual(missing.status, 0);
  for (const out of all) assert.ok(!out.includes(secret), `password shown in: ${out}`);
});

test('apply refuses a journal and a backup that are the same file (or the plan), before touching the server', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-apply-'));
  const r = await startRedis();
  t.after(async () => {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  r.cli('SET', 'a', '1');
  r.cli('SET', 'b', '2');
  r.cli('SAVE');
  const inv = join(dir, 'inv.sqlite');
  ok(rdbscope(['index', join(r.dir, 'dump.rdb'), '-o', inv, '-q']));
  const plan = join(dir, 'p.plan');
  ok(rdbscope(['plan', '--in', inv, '--where', '1', '--action', 'unlink', '--out', plan]));
  const same = join(dir, 'x');
  for (const extra of [['--backup', same, '--journal', same], ['--backup', plan], ['--journal', plan]]) {
    const res = rdbscope(['apply', plan, '--url', r.url, '--execute', ...extra]);
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /^rdbscope: \S+: the (journal|backup) and the (plan|journal) must be different files$/m);
  }
  assert.equal(r.cli('DBSIZE'), '2');
});

test('apply --execute says what used_memory shows was freed, next to what the plan estimated', { skip }, async (t) => {
  const { dir, r, c } = await liveServer(t, 'rdbscope-freed-');
  const cmds: Buffer[] = [];
  for (let i = 0; i < 5000; i++) cmds.push(resp('SET', `big:${i}`, 'x'.repeat(900 + (i % 200))));
  for (let i = 0; i < 100; i++) cmds.push(resp('SET', `keep:${i}`, 'v'));
  r.pipe(Buffer.concat(cmds));
  const inv = join(dir, 'inv.sqlite');
  // the machine's redis-server is Debian's build (jemalloc of the system): the model that matches it
  ok(rdbscope(['index', r.save(), '-o', inv, '-q', '--allocator', 'system']));
  const plan = join(dir, 'big.plan');
  ok(rdbscope(['plan', '--in', inv, '--out', plan, '--where', "key_text LIKE 'big:%'", '--action', 'unlink']));
  const out = jsonLines(ok(rdbscope(['apply', plan, '--url', r.url, '--execute', '--format', 'json', '--summary'])).stdout);
  assert.equal(out.length, 1, 'only the summary with --summary');
  const m = (out[0]!.summary as { memory: { used_before: number; used_after: number; freed: number; estimated_now: number; estimated_at_expiry: number } }).memory;
  assert.equal(await c.dbsize(), 100);
  assert.equal(m.freed, m.used_before - m.used_after);
  assert.equal(m.estimated_at_expiry, 0);
  assert.ok(m.estimated_now > 5000 * 900, `estimate ${m.estimated_now}`);
  t.diagnostic(`used_memory dropped by ${m.freed} bytes; the plan estimated ${m.estimated_now}`);
  assert.ok(Math.abs(m.freed - m.estimated_now) / m.estimated_now < 0.1, `freed ${m.freed}, estimated ${m.estimated_now}`);
  const text = ok(rdbscope(['apply', plan, '--url', r.url, '--execute'])).stdout;
  assert.match(text, /^memory: used_memory [\d.]+ [KMG]?i?B before, [\d.]+ [KMG]?i?B after: .* \(the plan estimated [\d.]+ MiB now and 0 B more at expiry; other clients' writes count too\)$/m);
});
