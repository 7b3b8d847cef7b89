-- id: ttl-partial
-- title: Key families where some keys have no TTL
-- severity: warning
-- rationale: In a family where most keys expire, the few that do not are usually written by a code path that
--   forgot the TTL (SET without EX, a later SET that cleared it, PERSIST); they stay until deleted by hand.
--   Families where no key expires are left alone: those look like permanent data.
-- frees: expiry
-- fix: Find the writer that drops the TTL (a plain SET overwrites it; use SET ... KEEPTTL or EX) and EXPIRE the
--   keys already stored.

-- Families with a TTL share between 0 and 95 %, at least 10 keys, not already reported by ttl-session.
-- The savings is the memory of the keys without TTL times the family's TTL share (the more siblings expire, the likelier
-- these should too).
-- @affected
WITH fam AS (
  SELECT pattern, SUM(keys) AS n, SUM(CASE WHEN ttl_class <> 0 THEN keys ELSE 0 END) * 1.0 / SUM(keys) AS share
  FROM key_groups
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
  HAVING n >= 10 AND share > 0 AND share < 0.95
     AND NOT (   lower(pattern) LIKE '%sess%'
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
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       CAST(SUM(g.memory) * f.share AS INTEGER) AS savings,
       printf('TTL share %.1f %% (%d of %d keys expire); %d keys without TTL', f.share * 100,
              CAST(round(f.share * f.n) AS INTEGER), f.n, SUM(g.keys)) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g JOIN fam f ON f.pattern = g.pattern
WHERE g.snapshot_id = :snapshot
  AND g.ttl_class = 0
GROUP BY g.pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
WITH fam AS (
  SELECT pattern, COUNT(*) AS n, SUM(expires_at IS NOT NULL) * 1.0 / COUNT(*) AS share
  FROM keys
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
  HAVING n >= 10 AND share > 0 AND share < 0.95
     AND NOT (   lower(pattern) LIKE '%sess%'
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
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       CAST(SUM(k.memory) * f.share AS INTEGER) AS savings,
       printf('TTL share %.1f %% (%d of %d keys expire); %d keys without TTL', f.share * 100,
              CAST(round(f.share * f.n) AS INTEGER), f.n, COUNT(*)) AS detail,
       MIN(k.key) AS example
FROM keys k JOIN fam f ON f.pattern = k.pattern
WHERE k.snapshot_id = :snapshot
  AND k.expires_at IS NULL
GROUP BY k.pattern
