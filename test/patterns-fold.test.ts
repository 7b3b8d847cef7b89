import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternInferrer } from '../src/patterns/index.js';
import { UserError } from '../src/errors.js';
import { Rand } from './helpers/random.ts';


const enc = new TextEncoder();
const COLORS = ['red', 'blue', 'green', 'black', 'white', 'navy', 'olive', 'teal', 'pink', 'grey', 'gold', 'plum'];
const ITEMS = ['shoe', 'hat', 'sock', 'coat', 'scarf', 'glove', 'belt', 'shirt', 'skirt', 'dress', 'boot', 'cap'];
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'];

/** Infer every key in order, then apply the renames: the final family of each key, as the inventory stores it. */
function run(p: PatternInferrer, keys: Array<string | Uint8Array>): string[] {
  const first = keys.map((k) => p.infer(typeof k === 'string' ? enc.encode(k) : k));
  const renames = new Map(p.foldings());
  assert.equal(renames.size, p.foldings().length, 'each family is renamed once');
  for (const [from, to] of renames) assert.ok(!renames.has(to) || renames.get(to) === to, `${from} -> ${to} is final`);
  return first.map((f) => renames.get(f) ?? f);
}

function shuffle<T>(r: Rand, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function product(r: Rand): string {
  return `${COLORS[r.int(12)]}-${ITEMS[r.int(12)]}-${['s', 'm', 'l', 'xl'][r.int(4)]}${r.int(3) ? '' : '-v' + r.int(9)}`;
}

test('many distinct literals under one prefix fold into {*}; namespaces and fields do not', () => {
  const r = new Rand(1);
  const keys: Array<[string, string]> = [];
  for (let i = 0; i < 3000; i++) {
    const name = product(r);
    keys.push([`product:${name}:stock`, 'product:{*}:stock'], [`product:${name}:price`, 'product:{*}:price']);
  }
  // 12 namespaces of 500 keys each with 5 fields: none of these levels folds
  for (let i = 0; i < 6000; i++) {
    keys.push([`app:${NAMES[i % 12]}:${i}:${['name', 'email', 'cart', 'prefs', 'seen'][i % 5]}`,
      `app:${NAMES[i % 12]}:{int}:${['name', 'email', 'cart', 'prefs', 'seen'][i % 5]}`]);
  }
  // one-unit keys: thousands of distinct words fold too
  for (let i = 0; i < 500; i++) keys.push([`${COLORS[r.int(12)]}${ITEMS[r.int(12)]}${NAMES[r.int(12)]}${'xyz'.slice(r.int(3))}`, '{*}']);
  shuffle(r, keys);
  const p = new PatternInferrer();
  const final = run(p, keys.map(([k]) => k));
  final.forEach((f, i) => assert.equal(f, keys[i][1], keys[i][0]));
  const renames = p.foldings();
  assert.ok(renames.length > 0 && renames.length < 1000, `${renames.length} renames`);
  assert.ok(p.stats().folded >= 1);
});

test('a folded level keeps the literal values that are sub-families', () => {
  const r = new Rand(2);
  const keys: string[] = [];
  for (let i = 0; i < 2000; i++) keys.push(`cache:${product(r)}`);
  for (let i = 0; i < 600; i++) keys.push(`cache:config:${i}`, `cache:menu`);
  shuffle(r, keys);
  const final = run(new PatternInferrer(), keys);
  const counts = new Map<string, number>();
  for (const f of final) counts.set(f, (counts.get(f) ?? 0) + 1);
  assert.equal(counts.get('cache:{*}'), 2000);
  assert.equal(counts.get('cache:config:{int}'), 600);
  assert.equal(counts.get('cache:menu'), 600);
  assert.equal(counts.size, 3, JSON.stringify([...counts]));
});

test('after a fold, a value with a placeholder that has keys of its own keeps its text; a long tail of them folds', () => {
  const r = new Rand(7);
  const words = Array.from({ length: 300 }, () => `${COLORS[r.int(12)]}${ITEMS[r.int(12)]}${NAMES[r.int(12)]}`);
  const late = Array.from({ length: 500 }, () => `zadd${1000 + r.int(1e6)}`);
  const tail = Array.from({ length: 3000 }, () => `${COLORS[r.int(12)]}${ITEMS[r.int(12)]}${NAMES[r.int(12)]}${100 + r.int(900)}`);
  const rare = ['solo1234', 'single5678'];
  // the words come first (the context folds), then the late sub-family and the tail, mixed
  const keys = [...words, ...shuffle(r, [...late, ...rare])];
  const final = run(new PatternInferrer(), keys);
  final.forEach((f, i) => assert.equal(f, i < words.length || rare.includes(keys[i]) ? '{*}' : 'zadd{int}', keys[i]));
  const final2 = run(new PatternInferrer(), [...words, ...shuffle(r, [...late, ...tail])]);
  assert.deepEqual([...new Set(final2)], ['{*}'], 'more than 64 generalised values: all fold');
});

test('{int} is unified with {hex} always, and with {ts} by the majority of keys', () => {
  const r = new Rand(8);
  const keys: Array<[string, string]> = [];
  for (let i = 0; i < 2000; i++) {
    // 8-digit hex: about 2% are all digits
    keys.push([`proc:${r.hex(8)}:beat`, 'proc:{hex}:beat']);
    // 10-digit numbers, most in the epoch-seconds window (up to 4102444800), some above it
    keys.push([`otp:${2_000_000_000 + r.int(2_500_000_000)}`, 'otp:{ts}']);
    // ids mostly below the window, a few inside it
    keys.push([`user:${r.int(10) ? 1 + r.int(900_000_000) : 1_000_000_000 + r.int(1e9)}:cart`, 'user:{int}:cart']);
  }
  shuffle(r, keys);
  const p = new PatternInferrer();
  const direct = keys.map(([k]) => p.infer(enc.encode(k)));
  for (const split of ['proc:{int}:beat', 'otp:{int}', 'user:{ts}:cart']) assert.ok(direct.includes(split), split);
  const renames = new Map(p.foldings());
  direct.forEach((f, i) => assert.equal(renames.get(f) ?? f, keys[i][1], keys[i][0]));
  assert.equal(renames.get('stats:{date}'), undefined);
});

test('folding thresholds are configurable: with a high threshold nothing folds', () => {
  const r = new Rand(3);
  const keys = Array.from({ length: 2000 }, () => `product:${product(r)}:stock`);
  const p = new PatternInferrer({ fold: { threshold: 10_000, maxValues: 20_000 } });
  const final = run(p, keys);
  assert.deepEqual(final, keys);
  assert.equal(p.foldings().length, 0);
});

test('mixed schemes in one dump: each key lands in its family', () => {
  const r = new Rand(4);
  const makers: Array<[() => string, string]> = [
    [() => `session:${r.uuid()}`, 'session:{uuid}'],
    [() => `user:${1 + r.int(1e6)}:profile`, 'user:{int}:profile'],
    [() => `celery-task-meta-${r.uuid()}`, 'celery-task-meta-{uuid}'],
    [() => `bull:mail:${1 + r.int(1e6)}`, 'bull:mail:{int}'],
    [() => `rl:${r.ip()}:${28_000_000 + r.int(1000)}`, 'rl:{ip}:{int}'],
    [() => `sidekiq:proc:${r.hex(12)}`, 'sidekiq:proc:{hex}'], // some are all digits: unified into {hex}
    [() => `spring:session:index:PRINCIPAL:${NAMES[r.int(12)]}${r.int(1e5)}x`, 'spring:session:index:PRINCIPAL:{*}'],
    [() => `product:${product(r)}:stock`, 'product:{*}:stock'],
    [() => `counter`, 'counter'],
  ];
  const keys: Array<[string | Uint8Array, string]> = [];
  for (let i = 0; i < 30_000; i++) {
    const [make, family] = makers[r.int(makers.length)];
    keys.push([make(), family]);
  }
  for (let i = 0; i < 300; i++) {
    // random bytes after the prefix; the first is not text (printable bytes before it would read as text)
    const bytes = [0x80 + r.int(128), ...Array.from({ length: 8 }, () => r.int(256))];
    keys.push([Uint8Array.from([...enc.encode(r.int(2) ? 'bin:' : 'bin::'), ...bytes]), 'bin:{binary}']);
  }
  shuffle(r, keys);
  const final = run(new PatternInferrer(), keys.map(([k]) => k));
  final.forEach((f, i) => assert.equal(f, keys[i][1], String(keys[i][0])));
});

test('user patterns: matched first, in order, the pattern text is the family', () => {
  const p = new PatternInferrer({ userPatterns: ['user:*:cart', '/^tmp[0-9]+$/', 'user:*', 'bin:\\*', 'item:[0-9]?'] });
  const f = (k: string | Uint8Array): string => p.infer(typeof k === 'string' ? enc.encode(k) : k);
  assert.equal(f('user:42:cart'), 'user:*:cart');
  assert.equal(f('user:ab:cd:cart'), 'user:*:cart'); // * crosses separators, like Redis KEYS
  assert.equal(f('user:42:profile'), 'user:*');
  assert.equal(f('tmp123'), '/^tmp[0-9]+$/');
  assert.equal(f('tmp12a'), 'tmp12a');
  assert.equal(f('bin:*'), 'bin:\\*');
  assert.equal(f('bin:x'), 'bin:x');
  assert.equal(f('item:42'), 'item:[0-9]?');
  assert.equal(f('item:4x'), 'item:[0-9]?');
  assert.equal(f('item:4xy'), 'item:4xy');
  assert.equal(f(Uint8Array.from([...enc.encode('user:'), 0xff, 0x00])), 'user:*');
  assert.equal(f('session:9f8e7d6c5b4a'), 'session:{hex}');
  assert.ok(!p.foldings().some(([from]) => from.startsWith('user:*')));
});

test('user patterns: invalid input is a one-line UserError', () => {
  assert.throws(() => new PatternInferrer({ userPatterns: ['/a(/'] }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^--pattern \/a\(\/: invalid regular expression/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  assert.throws(() => new PatternInferrer({ userPatterns: [''] }), UserError);
});

test('memory stays bounded over 1 M distinct keys', () => {
  // worst case: folding disabled (nothing relieves the state) and small caps, so that they are reached;
  // the default inferrer runs alongside on the same keys
  const limits = { threshold: 1e9, maxContexts: 100, maxValues: 64, maxFamilies: 200 };
  const small = new PatternInferrer({ fold: limits });
  const dflt = new PatternInferrer();
  const r = new Rand(6);
  for (let i = 0; i < 1_000_000; i++) {
    let k: string;
    switch (i % 4) {
      case 0: k = `t${r.b62(6)}x:${product(r)}`; break; // a new first unit per key
      case 1: k = `p:${product(r)}${i}:stock`; break; // one context, folds
      case 2: k = `w${r.of('abcdefghijklmnopqrstuvwxyz', 12)}`; break; // one-unit keys
      default: k = `u:${i}:${r.of('qwrtzpsdfghjklmnbvcxy', 7)}:${r.b62(5)}x`; break; // a new context per key
    }
    const bytes = enc.encode(k);
    small.infer(bytes);
    dflt.infer(bytes);
    if (i % 100_000 === 99_999) {
      const s = small.stats();
      assert.ok(s.contexts <= limits.maxContexts, JSON.stringify(s));
      assert.ok(s.trackedValues <= limits.maxContexts * limits.maxValues * 4, JSON.stringify(s));
      assert.ok(s.families <= limits.maxFamilies, JSON.stringify(s));
    }
  }
  const s = small.stats();
  assert.equal(s.contexts, limits.maxContexts, 'the context table filled up and stopped there');
  assert.ok(s.familiesDropped > 0, 'the family table filled up and stopped there');
  assert.ok(small.foldings().length <= limits.maxFamilies);
  // with the defaults, folding keeps the state small on its own
  const d = dflt.stats();
  assert.ok(d.contexts < 1000 && d.families < 1000 && d.familiesDropped === 0, JSON.stringify(d));
  const renames = new Map(dflt.foldings());
  for (const [k, family] of [['p:red-hat-s77:stock', 'p:{*}:stock'], ['wabcdefghijkl', '{*}'], ['u:1:qwrtzps:abcdex', 'u:{int}:{*}:{*}'],
    ['tAbCdEfx:red-hat-s', '{*}:{*}']]) {
    const f = dflt.infer(enc.encode(k));
    assert.equal(renames.get(f) ?? f, family, k);
  }
});
