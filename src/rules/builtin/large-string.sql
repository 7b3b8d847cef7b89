-- id: large-string
-- title: Strings over 100 KiB
-- severity: warning
-- rationale: A GET or SET of a string over 100 KiB blocks the server's single thread while it copies the value,
--   fills output buffers, and stalls replication; a few of them dominate latency percentiles.
-- frees: rewrite
-- fix: Split the value into chunks (key:part:N) or a hash read with HMGET, compress it on the client, or move
--   large blobs to object storage and keep a reference.

-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('largest %.1f KiB, average %.1f KiB', MAX(length) / 1024.0, AVG(length) / 1024.0) AS detail,
       MIN(key) AS example
FROM notable_keys
-- length > 1000 as it stands lets SQLite read the keys_large index (the keys over 1,000 by type and length).
WHERE snapshot_id = :snapshot AND type = 'string' AND length > 1000 AND length > 102400
GROUP BY pattern
