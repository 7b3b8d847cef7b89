-- id: eviction-sessions
-- title: Sessions and other state that must not be evicted, under an allkeys-* policy
-- severity: warning
-- rationale: An allkeys-* policy evicts any key when memory runs short, whatever it holds: a session, login
--   token, cart or lock evicted logs a user out or loses their work, silently. Such keys belong on a server that
--   does not evict them, or need headroom enough that eviction never happens.
-- frees: rewrite
-- fix: Keep session-like data on its own server (or database of a server) with noeviction or volatile-ttl and
--   enough headroom, or keep the cache that needs allkeys-* eviction elsewhere; watch evicted_keys.

-- Only with server facts naming an allkeys-* policy and a maxmemory limit. Families named like sessions, tokens,
-- carts, logins, locks or rate limits (as in ttl-session). Savings: none (the fix moves data, it does not free it).
-- @affected
WITH f AS (
  SELECT COALESCE(MAX(CASE WHEN name = 'config.maxmemory-policy' THEN value END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory_policy' THEN value END)) AS policy,
         COALESCE(MAX(CASE WHEN name = 'config.maxmemory' THEN CAST(value AS INTEGER) END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory' THEN CAST(value AS INTEGER) END)) AS max
  FROM server_facts WHERE snapshot_id = :snapshot
)
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       0 AS savings,
       printf('%s may evict these %d keys (%.1f MiB) under memory pressure', f.policy, SUM(g.keys), SUM(g.memory) / 1048576.0) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g, f
WHERE g.snapshot_id = :snapshot AND g.pattern IS NOT NULL
  AND f.max > 0 AND f.policy LIKE 'allkeys-%'
  AND (   lower(g.pattern) LIKE '%sess%'
       OR lower(g.pattern) LIKE '%token%'
       OR lower(g.pattern) LIKE '%auth%'
       OR lower(g.pattern) LIKE '%login%'
       OR lower(g.pattern) LIKE '%cart%'
       OR lower(g.pattern) LIKE '%csrf%'
       OR lower(g.pattern) LIKE 'lock:%'
       OR lower(g.pattern) LIKE '%:lock%'
       OR lower(g.pattern) LIKE '%ratelimit%'
       OR lower(g.pattern) LIKE '%rate_limit%')
GROUP BY g.pattern

-- @scan
WITH f AS (
  SELECT COALESCE(MAX(CASE WHEN name = 'config.maxmemory-policy' THEN value END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory_policy' THEN value END)) AS policy,
         COALESCE(MAX(CASE WHEN name = 'config.maxmemory' THEN CAST(value AS INTEGER) END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory' THEN CAST(value AS INTEGER) END)) AS max
  FROM server_facts WHERE snapshot_id = :snapshot
)
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       0 AS savings,
       printf('%s may evict these %d keys (%.1f MiB) under memory pressure', f.policy, COUNT(*), SUM(k.memory) / 1048576.0) AS detail,
       MIN(k.key) AS example
FROM keys k, f
WHERE k.snapshot_id = :snapshot AND k.pattern IS NOT NULL
  AND f.max > 0 AND f.policy LIKE 'allkeys-%'
  AND (   lower(k.pattern) LIKE '%sess%'
       OR lower(k.pattern) LIKE '%token%'
       OR lower(k.pattern) LIKE '%auth%'
       OR lower(k.pattern) LIKE '%login%'
       OR lower(k.pattern) LIKE '%cart%'
       OR lower(k.pattern) LIKE '%csrf%'
       OR lower(k.pattern) LIKE 'lock:%'
       OR lower(k.pattern) LIKE '%:lock%'
       OR lower(k.pattern) LIKE '%ratelimit%'
       OR lower(k.pattern) LIKE '%rate_limit%')
GROUP BY k.pattern
