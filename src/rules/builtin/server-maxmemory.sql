-- id: server-maxmemory
-- title: Used memory above 80 % of maxmemory
-- severity: critical
-- rationale: Past maxmemory the server evicts keys by its policy or, with noeviction, refuses writes. Above 80 %
--   there is little room for a burst, a full sync's copy-on-write or a fragmentation spike.
-- frees: now
-- fix: Free memory with the other findings' plans, raise maxmemory (CONFIG SET maxmemory and redis.conf) if the
--   machine has the RAM, or shard the data; check the policy does what the data needs (see eviction-no-ttl).

-- Only with server facts that include maxmemory (CONFIG GET, or INFO memory's maxmemory when CONFIG is refused).
-- @affected
WITH f AS (
  SELECT MAX(CASE WHEN name = 'info.memory.used_memory' THEN CAST(value AS INTEGER) END) AS used,
         COALESCE(MAX(CASE WHEN name = 'config.maxmemory' THEN CAST(value AS INTEGER) END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory' THEN CAST(value AS INTEGER) END)) AS max,
         COALESCE(MAX(CASE WHEN name = 'config.maxmemory-policy' THEN value END),
                  MAX(CASE WHEN name = 'info.memory.maxmemory_policy' THEN value END)) AS policy,
         MAX(CASE WHEN name = 'info.stats.evicted_keys' THEN CAST(value AS INTEGER) END) AS evicted
  FROM server_facts WHERE snapshot_id = :snapshot
)
SELECT '(server)' AS pattern,
       (SELECT COALESCE(key_count, 0) FROM snapshots WHERE id = :snapshot) AS keys,
       f.used AS memory,
       0 AS savings,
       printf('used_memory %.1f MiB of maxmemory %.1f MiB (%.1f %%), headroom %.1f MiB, policy %s, %d keys evicted since start',
              f.used / 1048576.0, f.max / 1048576.0, 100.0 * f.used / f.max, (f.max - f.used) / 1048576.0,
              COALESCE(f.policy, '?'), COALESCE(f.evicted, 0)) AS detail,
       NULL AS example
FROM f
WHERE f.max > 0 AND f.used > 0.8 * f.max
