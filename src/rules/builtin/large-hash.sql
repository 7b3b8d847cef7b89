-- id: large-hash
-- title: Hashes with over 5,000 fields
-- severity: warning
-- rationale: HGETALL, HKEYS and DEL on a hash with thousands of fields are O(n) and block the server; such a
--   hash also cannot be spread over a cluster, since a key lives in one slot.
-- frees: rewrite
-- fix: Shard the hash into buckets (key:{bucket} with bucket = hash(field) mod N), read it with HSCAN instead of
--   HGETALL, and delete it with UNLINK.

-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('up to %d fields (average %d)', MAX(length), CAST(AVG(length) AS INTEGER)) AS detail,
       MIN(key) AS example
FROM notable_keys
-- length > 1000 as it stands lets SQLite read the keys_large index (the keys over 1,000 by type and length).
WHERE snapshot_id = :snapshot AND type = 'hash' AND length > 1000 AND length > 5000
GROUP BY pattern
