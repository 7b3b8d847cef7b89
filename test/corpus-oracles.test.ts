/**
 * Value-for-value comparison of our decode with the expected outputs that the corpus sources ship (ORACLES.md):
 * HDT3213 `<stem>.json` and `<stem>.aof`, rdb-rs `<stem>.protocol`, librdb `*_data.json`-style fragments,
 * redis-rdb-cli `all.rdb.resp` / `all.rdb.json`. The MANIFEST `data_oracles` column says which file is whose.
 * Tool-specific columns (sizes, encodings, memory) are ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CORPUS_DIR, corpusPresent, manifest, oracleDiff, ourKeys, type ManifestRow, type OracleKey, type TextEnc } from './helpers/corpus.js';
import { decodeFile, type Collected } from './helpers/collect.js';

interface Oracle {
  file: string;
  enc: TextEnc;
  keys: OracleKey[];
  /** Key names only (no db): librdb's JSON states none. */
  anyDb?: boolean;
  aux?: Record<string, string>;
  functions?: string[];
}

/** RESP commands (binary-safe) as latin1 strings. */
function respCommands(buf: Buffer): string[][] {
  const out: string[][] = [];
  let i = 0;
  const line = (): string => {
    const j = buf.indexOf('\r\n', i);
    if (j < 0) throw new Error(`unterminated RESP line at ${i}`);
    const s = buf.toString('latin1', i, j);
    i = j + 2;
    return s;
  };
  while (i < buf.length) {
    const h = line();
    if (!h.startsWith('*')) throw new Error(`RESP: expected an array at ${i}: ${h}`);
    const args: string[] = [];
    for (let n = Number(h.slice(1)); n > 0; n--) {
      const len = Number(line().slice(1));
      args.push(buf.toString('latin1', i, i + len));
      i += len + 2;
    }
    out.push(args);
  }
  return out;
}

/** Replays the data commands of a RESP/AOF oracle into the keys they create. */
function respOracle(file: string): Oracle {
  const keys = new Map<string, OracleKey>();
  let db = 0;
  // A key written again after other keys is a second occurrence (tool-written files repeat keys); consecutive
  // commands for one key (batched RPUSH, PEXPIREAT) extend the current occurrence.
  let last = '';
  const current = new Map<string, string>();
  const list: OracleKey[] = [];
  const get = (key: string, type?: string, init?: unknown, creates = type !== undefined, always = false): OracleKey => {
    const base = `${db}/${key}`;
    let id = current.get(base);
    if (id === undefined || (creates && (always || last !== base))) {
      id = `${base}#${list.length}`;
      current.set(base, id);
      const fresh: OracleKey = { db, key };
      keys.set(id, fresh);
      list.push(fresh);
    }
    if (creates) last = base;
    const k = keys.get(id)!;
    if (type !== undefined && k.type === undefined) {
      k.type = type;
      k.value = init;
      k.expireMs ??= null;
      if (type === 'hash') k.fieldExp ??= {};
    }
    return k;
  };
  for (const [name, ...a] of respCommands(readFileSync(file))) {
    const cmd = name!.toUpperCase();
    if (cmd === 'SELECT') db = Number(a[0]);
    else if (cmd === 'SET') get(a[0]!, 'string', undefined, true, true).value = a[1];
    else if (cmd === 'RPUSH') (get(a[0]!, 'list', []).value as string[]).push(...a.slice(1));
    else if (cmd === 'SADD') (get(a[0]!, 'set', []).value as string[]).push(...a.slice(1));
    else if (cmd === 'HMSET' || cmd === 'HSET') {
      const v = get(a[0]!, 'hash', []).value as string[][];
      for (let j = 1; j + 1 < a.length; j += 2) v.push([a[j]!, a[j + 1]!]);
    } else if (cmd === 'ZADD') {
      const v = get(a[0]!, 'zset', []).value as Array<[string, string]>;
      for (let j = 1; j + 1 < a.length; j += 2) v.push([a[j + 1]!, a[j]!]);
    } else if (cmd === 'PEXPIREAT') get(a[0]!).expireMs = Number(a[1]);
    else if (cmd === 'EXPIREAT') get(a[0]!).expireMs = Number(a[1]) * 1000;
    else if (cmd === 'HPEXPIREAT') {
      const k = get(a[0]!);
      k.fieldExp ??= {};
      for (const f of a.slice(4)) k.fieldExp[f] = Number(a[1]);
    } else if (cmd === 'RESTORE') get(a[0]!, undefined, undefined, true); // stream / module payloads: presence only
    else if (cmd === 'HPERSIST' || cmd === 'FUNCTION') continue;
    else throw new Error(`${basename(file)}: RESP command ${cmd} not understood by the test adapter`);
  }
  return { file, enc: 'latin1', keys: list };
}

interface HdtObject {
  db: number; key: string; type: string; value?: string; values?: string[]; members?: string[];
  hash?: Record<string, string>; entries?: unknown[]; expiration?: string; expire?: Record<string, number>;
  functionsLua?: string;
}

function hdtOracle(file: string): Oracle {
  const objs = JSON.parse(readFileSync(file, 'utf8')) as HdtObject[];
  const keys: OracleKey[] = [];
  const aux: Record<string, string> = {};
  const functions: string[] = [];
  for (const o of objs) {
    if (o.type === 'aux') { aux[o.key] = o.value!; continue; }
    if (o.type === 'functions') { functions.push(o.functionsLua!); continue; }
    let value: unknown;
    if (o.type === 'string') value = o.value;
    else if (o.type === 'list') value = o.values;
    else if (o.type === 'set') value = o.members;
    else if (o.type === 'hash') value = o.hash;
    else if (o.type === 'zset') value = (o.entries as Array<{ member: string; score: number }>).map((e) => [e.member, e.score]);
    else if (o.type === 'stream') {
      type Node = { msgs: Array<{ id: string; fields: Record<string, string>; deleted: boolean }> };
      value = (o.entries as Node[]).flatMap((n) => n.msgs.filter((m) => !m.deleted).map((m) => [m.id, Object.entries(m.fields).flat()]));
    }
    const k: OracleKey = { db: o.db, key: o.key, type: o.type, value, expireMs: o.expiration ? Date.parse(o.expiration) : null };
    if (o.type === 'hash') k.fieldExp = Object.fromEntries(Object.entries(o.expire ?? {}).filter(([, v]) => v > 0));
    keys.push(k);
  }
  return { file, enc: 'utf8', keys, aux, functions };
}

/** librdb: a fragment of `"key": value` members, with `__aux__`, `__func__` and other `__x__` blocks. */
function librdbOracle(file: string): Oracle {
  const o = JSON.parse(`{${readFileSync(file, 'utf8')}}`) as Record<string, unknown>;
  const keys: OracleKey[] = [];
  let aux: Record<string, string> | undefined;
  let functions: string[] | undefined;
  for (const [key, value] of Object.entries(o)) {
    if (key === '__aux__') aux = value as Record<string, string>;
    else if (key === '__func__') functions = Object.values(value as Record<string, string>);
    else if (!/^__.*__$/.test(key)) keys.push({ db: 0, key, value });
  }
  return { file, enc: 'utf8', keys, anyDb: true, aux, functions };
}

/** redis-rdb-cli `-f json`: one array of {key, value, db, type, expiry?}; stream/module values are escaped dumps. */
function rdbCliJsonOracle(file: string): Oracle {
  const keys: OracleKey[] = [];
  const types: Record<string, string> = { sortedset: 'zset' };
  for (const line of readFileSync(file.replace(/\.json$/, '.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let o: { key: string; value: unknown; db: number; type: string; expiry?: number };
    try {
      o = JSON.parse(line);
    } catch {
      // Stream and module values are DUMP payloads written with \x escapes, which are not JSON: presence only.
      const m = /^\{"key":"((?:[^"\\]|\\.)*)",.*"db":(\d+),"type":"(\w+)"\}$/.exec(line);
      if (!m) throw new Error(`all.rdb.jsonl: line not understood: ${line.slice(0, 80)}`);
      keys.push({ db: Number(m[2]), key: JSON.parse(`"${m[1]}"`) as string, type: m[3] });
      continue;
    }
    const type = types[o.type] ?? o.type;
    const value = type === 'stream' || type === 'module' ? undefined : o.value; // those are DUMP payloads
    keys.push({ db: o.db, key: o.key, type, value, expireMs: o.expiry ?? null });
  }
  return { file, enc: 'utf8', keys };
}

function oraclesFor(row: ManifestRow): Oracle[] {
  const stem = basename(row.relpath, '.rdb');
  const out: Oracle[] = [];
  for (const rel of row.dataOracles) {
    const file = join(CORPUS_DIR, rel);
    if (!existsSync(file)) continue;
    const name = basename(rel);
    if (rel.startsWith('HDT3213-rdb/') && name === `${stem}.json`) out.push(hdtOracle(file));
    else if (rel.startsWith('HDT3213-rdb/') && name === `${stem}.aof`) out.push(respOracle(file));
    else if (rel.startsWith('badboy-rdb-rs/') && name.endsWith('.protocol')) out.push(respOracle(file));
    else if (name === 'all.rdb.resp') out.push(respOracle(file));
    else if (name === 'all.rdb.json') out.push(rdbCliJsonOracle(file));
    else if (rel.startsWith('redis-librdb/') && name.endsWith('.json') && !/_(raw|struct)\.json$/.test(name)) {
      out.push(librdbOracle(file));
    }
  }
  return out;
}

function compare(result: Collected, o: Oracle): string[] {
  const t = (b: Buffer): string => b.toString(o.enc);
  const diffs = oracleDiff(ourKeys(result, o.enc, !o.anyDb), o.keys.map((k) => (o.anyDb ? { ...k, db: 0 } : k)));
  for (const [name, value] of Object.entries(o.aux ?? {})) {
    const ours = result.aux.get(name);
    if (ours === undefined || t(ours) !== value) diffs.push(`aux ${name}: ${ours === undefined ? 'missing' : t(ours)}, oracle ${value}`);
  }
  if (o.functions) {
    const ours = result.functions.map((f) => t(Buffer.from(f.code))).sort();
    try {
      assert.deepStrictEqual(ours, [...o.functions].sort());
    } catch {
      diffs.push(`functions: ${JSON.stringify(ours).slice(0, 200)}, oracle ${JSON.stringify(o.functions).slice(0, 200)}`);
    }
  }
  return diffs;
}

const rows = corpusPresent() ? manifest().filter((r) => oraclesFor(r).length > 0) : [];

test('corpus oracles: enough files have a data oracle', { skip: corpusPresent() ? undefined : 'corpus absent' }, () => {
  assert.ok(rows.length >= 20, `only ${rows.length} corpus files have a usable data oracle`);
});

for (const row of rows) {
  test(`oracle ${row.relpath}`, () => {
    const { result } = decodeFile(row.path);
    const diffs = oraclesFor(row).flatMap((o) => compare(result, o).map((d) => `${basename(o.file)}: ${d}`));
    assert.deepEqual(diffs.slice(0, 15), [], `${diffs.length} differences`);
  });
}
