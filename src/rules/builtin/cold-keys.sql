-- id: cold-keys
-- title: Keys not accessed for 30 days
-- severity: info
-- rationale: The dump records how long ago each key was last accessed (LRU idle time, with an LRU
--   maxmemory-policy) or its access frequency counter (LFU policies). Keys without TTL that nobody read or wrote
--   for a month hold memory for data that is likely abandoned.
-- frees: now
-- fix: Confirm with the owners of the family, then delete (UNLINK) the keys or give the family a TTL; with an
--   allkeys-lru/allkeys-lfu policy the server would evict them first under memory pressure anyway.

-- @skip
SELECT CASE WHEN COALESCE(SUM(idle_keys), 0) = 0 AND COALESCE(SUM(freq_keys), 0) = 0
            THEN 'the dump has no LRU idle times or LFU counters (written with a non-LRU/LFU maxmemory-policy)' END
FROM key_groups WHERE snapshot_id = :snapshot

-- Cold: idle for 30 days (2,592,000 s) or more, or an LFU counter decayed to 0. Keys with a TTL are left out
-- (they go away by themselves). Savings: their memory, an upper bound (if all are deleted).
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       SUM(keys) AS keys,
       SUM(memory) AS memory,
       SUM(memory) AS savings,
       CASE WHEN SUM(idle_keys) > 0 THEN printf('idle %.0f to %.0f days', MIN(idle_min) / 86400.0, MAX(idle_max) / 86400.0)
            ELSE 'LFU counter 0' END AS detail,
       MIN(key_min) AS example
FROM key_groups
WHERE snapshot_id = :snapshot AND ttl_class = 0 AND cold = 1
GROUP BY pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       SUM(memory) AS savings,
       CASE WHEN COUNT(idle_s) > 0 THEN printf('idle %.0f to %.0f days', MIN(idle_s) / 86400.0, MAX(idle_s) / 86400.0)
            ELSE 'LFU counter 0' END AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot
  AND expires_at IS NULL
  AND (idle_s >= 2592000 OR (idle_s IS NULL AND freq = 0))
GROUP BY pattern
