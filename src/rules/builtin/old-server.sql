-- id: old-server
-- title: Dump written by an old server version
-- severity: warning
-- rationale: Redis before 7.0 is past end of life (no security fixes) and lacks listpack encodings, which are
--   smaller and safer than ziplists, as well as functions, sharded pub/sub and multi-part AOF.
-- frees: rewrite
-- fix: Upgrade to a maintained release (Redis 7.2+ or Valkey 8+); the dump loads in newer servers as is.

-- The writer comes from the redis-ver aux field; versions 0.x (KeyDB writes 0.0.0) are not judged. Dumps without
-- a writer are judged by RDB format version (< 9 means Redis before 5.0).
-- @affected
WITH v AS (
  SELECT writer, rdb_version, key_count, memory_total,
         CASE WHEN writer LIKE 'redis %' THEN CAST(substr(writer, 7) AS INTEGER) END AS major
  FROM snapshots WHERE id = :snapshot
)
SELECT COALESCE(writer, 'RDB version ' || rdb_version) AS pattern,
       COALESCE(key_count, 0) AS keys,
       COALESCE(memory_total, 0) AS memory,
       0 AS savings,
       CASE WHEN writer IS NULL THEN printf('no writer recorded; RDB format %d is from Redis before 5.0', rdb_version)
            ELSE printf('written by %s', writer) END AS detail,
       NULL AS example
FROM v
WHERE (major BETWEEN 1 AND 6) OR (writer IS NULL AND rdb_version < 9)
