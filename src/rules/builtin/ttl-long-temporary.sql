-- id: ttl-long-temporary
-- title: Temporary-looking keys that live for days
-- severity: info
-- rationale: Keys whose names say they are short-lived (temp data, caches, locks, one-time codes, nonces,
--   captchas, rate limits) but were given TTLs of more than a day hold memory long after anyone needs them: a lock
--   or a one-time code outlives its purpose in minutes, a cache entry is rebuilt on a miss.
-- frees: expiry
-- fix: Give them the TTL their purpose needs when they are written; shorten the existing ones with a reviewed
--   plan: rdbscope plan --rule ttl-long-temporary --action cap-ttl --ttl 3600 (EXPIRE ... LT never lengthens a TTL).

-- Families only (the name test runs on the pattern). A TTL counts from the dump's ctime: more than a day left
-- (ttl_class 4 and 5). No savings figure: the memory is freed when the shorter TTLs run out, and how much sooner
-- depends on the TTL chosen.
-- @affected
SELECT pattern,
       SUM(keys) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d keys with %.1f to %.1f days of TTL left at dump time', SUM(keys),
              (MIN(expires_min) - s.ctime * 1000) / 86400000.0, (MAX(expires_max) - s.ctime * 1000) / 86400000.0) AS detail,
       MIN(key_min) AS example
FROM key_groups g JOIN snapshots s ON s.id = g.snapshot_id
WHERE g.snapshot_id = :snapshot AND g.ttl_class IN (4, 5) AND g.pattern IS NOT NULL
  AND (   lower(g.pattern) LIKE '%tmp%'
       OR lower(g.pattern) LIKE '%temp:%'
       OR lower(g.pattern) LIKE '%cache%'
       OR lower(g.pattern) LIKE 'lock:%'
       OR lower(g.pattern) LIKE '%:lock%'
       OR lower(g.pattern) LIKE '%otp%'
       OR lower(g.pattern) LIKE '%nonce%'
       OR lower(g.pattern) LIKE '%captcha%'
       OR lower(g.pattern) LIKE '%csrf%'
       OR lower(g.pattern) LIKE '%ratelimit%'
       OR lower(g.pattern) LIKE '%rate_limit%'
       OR lower(g.pattern) LIKE '%throttle%')
GROUP BY pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d keys with %.1f to %.1f days of TTL left at dump time', COUNT(*),
              (MIN(expires_at) - s.ctime * 1000) / 86400000.0, (MAX(expires_at) - s.ctime * 1000) / 86400000.0) AS detail,
       MIN(key) AS example
FROM keys k JOIN snapshots s ON s.id = k.snapshot_id
WHERE k.snapshot_id = :snapshot AND k.expires_at IS NOT NULL AND s.ctime IS NOT NULL
  AND k.expires_at - s.ctime * 1000 >= 86400000 AND k.pattern IS NOT NULL
  AND (   lower(k.pattern) LIKE '%tmp%'
       OR lower(k.pattern) LIKE '%temp:%'
       OR lower(k.pattern) LIKE '%cache%'
       OR lower(k.pattern) LIKE 'lock:%'
       OR lower(k.pattern) LIKE '%:lock%'
       OR lower(k.pattern) LIKE '%otp%'
       OR lower(k.pattern) LIKE '%nonce%'
       OR lower(k.pattern) LIKE '%captcha%'
       OR lower(k.pattern) LIKE '%csrf%'
       OR lower(k.pattern) LIKE '%ratelimit%'
       OR lower(k.pattern) LIKE '%rate_limit%'
       OR lower(k.pattern) LIKE '%throttle%')
GROUP BY pattern
