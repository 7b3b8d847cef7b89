-- id: multiple-dbs
-- title: Several logical databases in use
-- severity: info
-- rationale: Numbered databases (SELECT n) share one server's memory, CPU and eviction, cannot be used with
--   Redis Cluster (database 0 only) and are easy to mix up in tools and scripts; they give no isolation.
-- frees: rewrite
-- fix: Move each database's data to database 0 under its own key prefix, or to its own server instance when
--   it needs separate limits or eviction.

-- One row per database other than 0 that holds keys.
-- @affected
SELECT 'db ' || db AS pattern,
       SUM(keys) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d databases hold keys', (SELECT COUNT(DISTINCT db) FROM key_groups WHERE snapshot_id = :snapshot)) AS detail,
       MIN(key_min) AS example
FROM key_groups
WHERE snapshot_id = :snapshot AND db <> 0
GROUP BY db

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT 'db ' || db AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d databases hold keys', (SELECT COUNT(DISTINCT db) FROM keys WHERE snapshot_id = :snapshot)) AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot AND db <> 0
GROUP BY db
