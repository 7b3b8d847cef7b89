-- id: ttl-session
-- title: Temporary-looking keys without expiry
-- severity: warning
-- rationale: Keys whose names say they are temporary (sessions, tokens, one-time codes, nonces, caches, locks,
--   rate limits, temp data) but carry no TTL pile up forever: nothing ever removes them.
-- frees: expiry
-- fix: Write them with a TTL (SET key value EX seconds; EXPIRE key seconds after HSET/SADD) and backfill the
--   existing keys with EXPIRE from a reviewed script (rdbscope plan).

-- The name test runs once per family (pattern), and per key only for keys without a pattern.
-- The savings is an upper bound: it assumes every one of these keys would have expired by now.
-- @affected
WITH temporary AS (
  SELECT pattern FROM key_groups
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
  HAVING (   lower(pattern) LIKE '%sess%'
              OR lower(pattern) LIKE '%token%'
              OR lower(pattern) LIKE '%otp%'
              OR lower(pattern) LIKE '%nonce%'
              OR lower(pattern) LIKE '%csrf%'
              OR lower(pattern) LIKE '%captcha%'
              OR lower(pattern) LIKE '%cache%'
              OR lower(pattern) LIKE '%tmp%'
              OR lower(pattern) LIKE '%temp:%'
              OR lower(pattern) LIKE '%ratelimit%'
              OR lower(pattern) LIKE '%rate_limit%'
              OR lower(pattern) LIKE '%throttle%'
              OR lower(pattern) LIKE 'lock:%'
              OR lower(pattern) LIKE '%:lock%')
)
SELECT COALESCE(g.pattern, '(no pattern)') AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       SUM(g.memory) AS savings,
       printf('%d keys without TTL; savings assumes all of them would have expired (upper bound)', SUM(g.keys)) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g
WHERE g.snapshot_id = :snapshot AND g.ttl_class = 0 AND g.pattern IN (SELECT pattern FROM temporary)
GROUP BY g.pattern
UNION ALL
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       SUM(memory) AS savings,
       printf('%d keys without TTL; savings assumes all of them would have expired (upper bound)', COUNT(*)) AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot AND pattern IS NULL AND expires_at IS NULL
    AND (   lower(COALESCE(key_text, '')) LIKE '%sess%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%token%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%otp%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%nonce%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%csrf%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%captcha%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%cache%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%tmp%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%temp:%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%ratelimit%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%rate_limit%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%throttle%'
                                     OR lower(COALESCE(key_text, '')) LIKE 'lock:%'
                                     OR lower(COALESCE(key_text, '')) LIKE '%:lock%')

GROUP BY pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
WITH temporary AS (
  SELECT pattern FROM keys
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
  HAVING (   lower(pattern) LIKE '%sess%'
              OR lower(pattern) LIKE '%token%'
              OR lower(pattern) LIKE '%otp%'
              OR lower(pattern) LIKE '%nonce%'
              OR lower(pattern) LIKE '%csrf%'
              OR lower(pattern) LIKE '%captcha%'
              OR lower(pattern) LIKE '%cache%'
              OR lower(pattern) LIKE '%tmp%'
              OR lower(pattern) LIKE '%temp:%'
              OR lower(pattern) LIKE '%ratelimit%'
              OR lower(pattern) LIKE '%rate_limit%'
              OR lower(pattern) LIKE '%throttle%'
              OR lower(pattern) LIKE 'lock:%'
              OR lower(pattern) LIKE '%:lock%')
)
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       SUM(memory) AS savings,
       printf('%d keys without TTL; savings assumes all of them would have expired (upper bound)', COUNT(*)) AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot
  AND expires_at IS NULL
  AND (pattern IN (SELECT pattern FROM temporary)
       OR (pattern IS NULL AND (   lower(COALESCE(key_text, '')) LIKE '%sess%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%token%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%otp%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%nonce%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%csrf%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%captcha%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%cache%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%tmp%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%temp:%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%ratelimit%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%rate_limit%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%throttle%'
                                       OR lower(COALESCE(key_text, '')) LIKE 'lock:%'
                                       OR lower(COALESCE(key_text, '')) LIKE '%:lock%')))
GROUP BY pattern
