-- id: eviction-no-ttl
-- title: Keys without a TTL under a policy that cannot evict them
-- severity: warning
-- rationale: With maxmemory-policy noeviction, nothing is evicted: at maxmemory every write fails. With a volatile-*
--   policy only keys that have a TTL are candidates: keys without one are never evicted, and once the keys with
--   a TTL are gone, writes fail just the same.
-- frees: expiry
-- fix: Give these families a TTL (EXPIRE from a reviewed plan: rdbscope plan --action expire), or, if the data is
--   a cache, use an allkeys-* policy (CONFIG SET maxmemory-policy allkeys-lru); keep data that must not be lost
--   on a server without eviction, with enough headroom.

-- Only with server facts naming a policy and a maxmemory limit (no limit: nothing is ever evicted or refused).
-- One row per family without TTL (key_groups ttl_class 0). Savings: none counted (what a TTL frees depends on it).
-- @affected
WITH f AS (
  SELECT COALESCE(MAX(CASE WHEN name = 'config.maxmemory-policy' THEN value END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory_policy' THEN value END)) AS policy,
         COALESCE(MAX(CASE WHEN name = 'config.maxmemory' THEN CAST(value AS INTEGER) END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory' THEN CAST(value AS INTEGER) END)) AS max
  FROM server_facts WHERE snapshot_id = :snapshot
)
SELECT COALESCE(g.pattern, '(no pattern)') AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       0 AS savings,
       printf('%s: %d keys without a TTL (%.1f MiB) %s', f.policy, SUM(g.keys), SUM(g.memory) / 1048576.0,
              CASE WHEN f.policy = 'noeviction' THEN 'and nothing evicted: at maxmemory writes fail'
                   ELSE 'can never be evicted' END) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g, f
WHERE g.snapshot_id = :snapshot AND g.ttl_class = 0
  AND f.max > 0 AND (f.policy = 'noeviction' OR f.policy LIKE 'volatile-%')
GROUP BY g.pattern

-- @scan
WITH f AS (
  SELECT COALESCE(MAX(CASE WHEN name = 'config.maxmemory-policy' THEN value END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory_policy' THEN value END)) AS policy,
         COALESCE(MAX(CASE WHEN name = 'config.maxmemory' THEN CAST(value AS INTEGER) END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory' THEN CAST(value AS INTEGER) END)) AS max
  FROM server_facts WHERE snapshot_id = :snapshot
)
SELECT COALESCE(k.pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       0 AS savings,
       printf('%s: %d keys without a TTL (%.1f MiB) %s', f.policy, COUNT(*), SUM(k.memory) / 1048576.0,
              CASE WHEN f.policy = 'noeviction' THEN 'and nothing evicted: at maxmemory writes fail'
                   ELSE 'can never be evicted' END) AS detail,
       MIN(k.key) AS example
FROM keys k, f
WHERE k.snapshot_id = :snapshot AND k.expires_at IS NULL
  AND f.max > 0 AND (f.policy = 'noeviction' OR f.policy LIKE 'volatile-%')
GROUP BY k.pattern
