-- id: large-pattern
-- title: Key families with a large average size
-- severity: info
-- rationale: Families averaging over 10 KiB a key make every read and write move a lot of data: they cost network
--   bandwidth and latency, and replicas and AOF carry them in full on every change.
-- frees: rewrite
-- fix: Store only what is read together: split big objects into smaller keys or hash fields, compress values on
--   the client, or keep the bulk elsewhere and cache a summary.

-- No savings estimate: the cost is latency and bandwidth, not stored bytes (see compressible-values).
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       SUM(keys) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('average %.1f KiB a key, largest %.1f KiB', SUM(memory) * 1.0 / SUM(keys) / 1024.0, MAX(memory_max) / 1024.0) AS detail,
       MIN(key_min) AS example
FROM key_groups
WHERE snapshot_id = :snapshot
GROUP BY pattern
HAVING SUM(memory) * 1.0 / SUM(keys) > 10240

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('average %.1f KiB a key, largest %.1f KiB', AVG(memory) / 1024.0, MAX(memory) / 1024.0) AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot
GROUP BY pattern
HAVING AVG(memory) > 10240
