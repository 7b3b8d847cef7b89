import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternInferrer, MAX_FAMILY } from '../src/patterns/index.js';
import { UserError } from '../src/errors.js';
import { Rand } from './helpers/random.ts';


const enc = new TextEncoder();
function fam(p: PatternInferrer, key: string | Uint8Array): string {
  return p.infer(typeof key === 'string' ? enc.encode(key) : key);
}

/**
 * Each scheme: keys built from templates; after the renames of foldings(), every key must be in the expected
 * family, or (for randomly generated tokens, which can look like words by chance) at least `minRate` of them.
 */
type Case = [make: (r: Rand) => string, expected: string, minRate?: number];
function checkScheme(name: string, cases: Case[]): void {
  test(`scheme: ${name}`, () => {
    const p = new PatternInferrer();
    const r = new Rand(name.length * 7919);
    const rows = cases.map(([make, expected, minRate]) => {
      const keys = Array.from({ length: minRate === undefined ? 60 : 400 }, () => make(r));
      return { expected, minRate, keys, families: new Array<string>(keys.length) };
    });
    // infer in a random order, as keys come in a dump
    const order = rows.flatMap((row, i) => row.keys.map((_, j) => [i, j] as const));
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const [i, j] of order) rows[i].families[j] = fam(p, rows[i].keys[j]);
    const renames = new Map(p.foldings());
    for (const { expected, minRate, keys, families } of rows) {
      const final = families.map((f) => renames.get(f) ?? f);
      if (minRate === undefined) {
        final.forEach((f, i) => assert.equal(f, expected, `key ${JSON.stringify(keys[i])}`));
      } else {
        const rate = final.filter((f) => f === expected).length / final.length;
        const miss = keys.find((_, i) => final[i] !== expected);
        assert.ok(rate >= minRate, `${expected}: ${rate} < ${minRate}, e.g. ${miss} -> ${final[keys.indexOf(miss!)]}`);
      }
    }
  });
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

checkScheme('Rails / Sidekiq', [
  [() => 'queue:default', 'queue:default'],
  [(r) => `stat:processed:2024-0${1 + r.int(9)}-1${r.int(10)}`, 'stat:processed:{date}'],
  [(r) => `web-${1 + r.int(9)}.example.com:${100 + r.int(60000)}:${r.hex(12)}:workers`, 'web-{int}.example.com:{int}:{hex}:workers'],
  [(r) => `_session_id:2::${r.hex(64)}`, '_session_id:{int}::{hex}'],
  [(r) => `cache:posts/${1 + r.int(99999)}-2024011${r.int(10)}103000123456`, 'cache:posts/{int}-{int}'],
  [(r) => `uniquejobs:${r.hex(32)}`, 'uniquejobs:{hex}'],
]);

checkScheme('Django cache and sessions', [
  [(r) => `:1:django.contrib.sessions.cache${r.of('abcdefghijklmnopqrstuvwxyz0123456789', 32)}`, ':{int}:django.contrib.sessions.{token}', 0.97],
  [(r) => `:1:views.decorators.cache.cache_page..GET.${r.hex(32)}.${r.hex(32)}.en-us.UTC`,
    ':{int}:views.decorators.cache.cache_page..GET.{hex}.{hex}.en-us.UTC'],
  [(r) => `:1:user_profile_${1 + r.int(1e6)}`, ':{int}:user_profile_{int}'],
]);

checkScheme('Laravel', [
  [(r) => `laravel_database_laravel_cache:${r.b62(40)}`, 'laravel_database_laravel_cache:{token}', 0.99],
  [(r) => `laravel_database_laravel_cache:user.${1 + r.int(1e6)}.settings`, 'laravel_database_laravel_cache:user.{int}.settings'],
  [() => 'laravel_database_queues:default:reserved', 'laravel_database_queues:default:reserved'],
]);

checkScheme('Spring Session', [
  [(r) => `spring:session:sessions:${r.uuid()}`, 'spring:session:sessions:{uuid}'],
  [(r) => `spring:session:sessions:expires:${r.uuid()}`, 'spring:session:sessions:expires:{uuid}'],
  [(r) => `spring:session:expirations:${1_700_000_000_000 + r.int(1e9) * 60}`, 'spring:session:expirations:{ts}'],
]);

checkScheme('Celery / kombu', [
  [(r) => `celery-task-meta-${r.uuid()}`, 'celery-task-meta-{uuid}'],
  [() => '_kombu.binding.celery', '_kombu.binding.celery'],
  [() => 'unacked_index', 'unacked_index'],
]);

checkScheme('Bull / BullMQ', [
  [(r) => `bull:email:${1 + r.int(1e7)}`, 'bull:email:{int}'],
  [(r) => `bull:email:${1 + r.int(1e7)}:logs`, 'bull:email:{int}:logs'],
  [(r) => `bull:email:repeat:${r.hex(32)}:${1_700_000_000_000 + r.int(1e9)}`, 'bull:email:repeat:{hex}:{ts}'],
  [() => 'bull:email:stalled-check', 'bull:email:stalled-check'],
]);

checkScheme('Magento / WooCommerce caches', [
  [(r) => `zc:k:69d_LAYOUT_FRONTEND_STORE1_DEFAULT_${r.hex(32).toUpperCase()}`, 'zc:k:69d_LAYOUT_FRONTEND_STORE1_DEFAULT_{hex}'],
  [() => 'zc:ti:69d_CONFIG_SCOPES', 'zc:ti:69d_CONFIG_SCOPES'],
  [(r) => `wp_:posts:${1 + r.int(1e6)}`, 'wp_:posts:{int}'],
  [(r) => `wp_:transient:wc_product_children_${1000 + r.int(1e6)}`, 'wp_:transient:wc_product_children_{int}'],
  [(r) => `wp_:wc_session_id:${r.hex(32)}`, 'wp_:wc_session_id:{hex}'],
]);

checkScheme('rate limiters', [
  [(r) => `rl:${r.ip()}:${28_000_000 + r.int(100_000)}`, 'rl:{ip}:{int}'],
  [(r) => `rl:2001:db8:${r.hex(4)}::${1 + r.int(9)}:${28_000_000 + r.int(100_000)}`, 'rl:{ip}:{int}'],
  [(r) => `ratelimit:api:user:${1 + r.int(1e6)}:${1_700_000_000 + r.int(1e7)}`, 'ratelimit:api:user:{int}:{ts}'],
  [(r) => `throttle|login|${r.ip()}`, 'throttle|login|{ip}'],
]);

checkScheme('feature flags', [
  [() => 'ff:new-checkout:enabled', 'ff:new-checkout:enabled'],
  [() => 'flipper_features', 'flipper_features'],
  [(r) => `ff:dark-mode:user:${1 + r.int(1e6)}`, 'ff:dark-mode:user:{int}'],
]);

checkScheme('socket.io', [
  [(r) => `socket.io#/#${r.of(B64URL, 20)}#`, 'socket.io#/#{token}#', 0.9],
  [(r) => `socket.io#/#${r.b62(8)}_${r.b62(3)}-${r.b62(8)}#`, 'socket.io#/#{token}#', 0.9],
  [(r) => `socket.io#/chat#room-${1 + r.int(1e4)}#`, 'socket.io#/chat#room-{int}#'],
]);

checkScheme('Nextcloud', [
  [(r) => `${r.hex(32)}/imagePath`, '{hex}/imagePath'],
  [(r) => `${r.hex(32)}/memcache.files-${1 + r.int(1e5)}`, '{hex}/memcache.files-{int}'],
]);

checkScheme('ids, e-mails, addresses and cluster hash tags', [
  [(r) => `user:${r.of('abcdefghij', 6)}.${r.of('klmnop', 5)}+tag@example${r.int(9)}.com:profile`, 'user:{email}:profile'],
  [(r) => `job:${r.int(8)}${r.of('0123456789ABCDEFGHJKMNPQRSTVWXYZ', 25)}`, 'job:{ulid}'],
  [(r) => `{user:${1 + r.int(1e6)}}:cart`, '{user:{int}}:cart'],
  [(r) => `events:2024-0${1 + r.int(9)}-1${r.int(10)}T1${r.int(10)}:3${r.int(10)}:00.123Z`, 'events:{date}'],
  [(r) => `metrics:2024-0${1 + r.int(9)}`, 'metrics:{date}'],
  [(r) => `report:2024${10 + r.int(3)}1${r.int(10)}`, 'report:{date}'],
  [(r) => `order${100 + r.int(1e6)}`, 'order{int}'],
  [(r) => `tok:${r.b62(10)}${r.int(10)}${r.b62(10)}`, 'tok:{token}', 0.97],
]);

test('false positives stay literal', () => {
  const p = new PatternInferrer();
  for (const k of ['v2', 'api', 'en-US', 'api:v2:en-US:home', 'sha256', 'utf8', 'page2', 'h264', 'deadbeef', 'cafe:babe',
    'UserProfileSettingsPage', 'UserProfile2024Settings', 'section2024summary', 'Foo::Bar', 'config']) {
    assert.equal(fam(p, k), k, k);
  }
  // a 10-digit id outside the epoch window, and a 19-digit snowflake, are plain integers
  assert.equal(fam(p, 'id:9999999999'), 'id:{int}');
  assert.equal(fam(p, 'tweet:1790000000000000000'), 'tweet:{int}');
  assert.equal(fam(p, 'price:3.14'), 'price:{int}.{int}');
});

test('keys without separators', () => {
  const p = new PatternInferrer();
  assert.equal(fam(p, 'counter'), 'counter');
  assert.equal(fam(p, '12345'), '{int}');
  assert.equal(fam(p, 'a1b2c3d4e5f6a7b8'), '{hex}');
  assert.equal(fam(p, '550e8400-e29b-41d4-a716-446655440000'), '{uuid}');
  assert.equal(fam(p, ''), '{empty}');
  assert.equal(fam(p, ':'), ':');
});

test('binary keys: the rest of the key from the first non-text byte is {binary}', () => {
  const p = new PatternInferrer();
  assert.equal(fam(p, Uint8Array.from([...enc.encode('idx:'), 0x00, 0x01, 0xff, 0x3a, 0x41])), 'idx:{binary}');
  assert.equal(fam(p, Uint8Array.from([...enc.encode('h:42:'), 0xc3, 0x28])), 'h:{int}:{binary}'); // invalid UTF-8
  assert.equal(fam(p, Uint8Array.from([0xff, 0xfe, 0x00, 0x3a, 0x01])), '{binary}');
  assert.equal(fam(p, Uint8Array.from([...enc.encode('tab\there')])), '{binary}');
  const r = new Rand(5);
  for (let i = 0; i < 200; i++) {
    const bytes = Uint8Array.from({ length: 16 }, () => r.int(256));
    bytes[0] = 0x80 + r.int(0x40); // a continuation byte cannot start UTF-8
    assert.equal(fam(p, bytes), '{binary}');
  }
  // valid UTF-8 text is text, not binary
  assert.equal(fam(p, 'user:josé:profile'), 'user:josé:profile');
  assert.equal(fam(p, '商品:123'), '商品:{int}');
});

test('very long keys and very long families are capped', () => {
  const p = new PatternInferrer();
  const long = 'blob:' + 'x'.repeat(100_000);
  assert.equal(fam(p, long), 'blob:{trunc}');
  assert.equal(fam(p, 'y'.repeat(5000)), '{trunc}');
  const many = Array.from({ length: 200 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}`).join(':');
  const f = fam(p, many);
  assert.ok(f.length <= MAX_FAMILY + '{trunc}'.length, `${f.length}`);
  assert.ok(f.endsWith(':{trunc}'), f);
  // a multi-byte character straddling the 512-byte scan limit is not cut in half
  const k = 'n:' + 'é'.repeat(300);
  assert.equal(fam(p, k), 'n:{trunc}');
});

test('separators are configurable', () => {
  const p = new PatternInferrer({ separators: ':' });
  assert.equal(fam(p, 'user:42:first-name'), 'user:{int}:first-name');
  assert.equal(fam(p, 'a.b.123'), 'a.b.123');
  assert.equal(fam(p, 'sess:Xk9_aB3-QwErTy7uIoP2zZ'), 'sess:{token}'); // '-' and '_' inside a segment
  assert.equal(fam(p, 'tok:q2Vx+9LmZ0aBcD3eFgH1=='), 'tok:{token}'); // standard base64
  assert.equal(fam(p, 'page:about-us_old'), 'page:about-us_old');
  const q = new PatternInferrer({ separators: '/' });
  assert.equal(fam(q, 'img/42/avatar.png'), 'img/{int}/avatar.png');
  assert.throws(() => new PatternInferrer({ separators: ':a' }), UserError);
  assert.throws(() => new PatternInferrer({ separators: ':*' }), UserError);
});
