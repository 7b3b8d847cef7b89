-- id: long-key-names
-- title: Long key names relative to their values in a large keyspace
-- severity: info
-- rationale: With over a million keys, the bytes of key names add up: a family whose names take 30 % or more of
--   its memory pays mostly for its names. The constant text of the names (the family prefix) is repeated in
--   every key.
-- frees: rewrite
-- fix: Shorten the constant part of the family's names (user:profile:123 -> up:123) in new writes, and migrate
--   old keys with RENAME in a reviewed script.

-- @skip
SELECT CASE WHEN COALESCE(SUM(keys), 0) <= 1000000
            THEN printf('the keyspace has %d keys (this rule looks at keyspaces over 1,000,000)', COALESCE(SUM(keys), 0)) END
FROM key_groups WHERE snapshot_id = :snapshot

-- Families of at least 10,000 keys whose key bytes are >= 30 % of their memory. Savings: the length of the
-- family's constant prefix (the pattern up to its first '{' placeholder) less 2 bytes kept for a short prefix,
-- per key.
-- @affected
WITH f AS (
  SELECT pattern, SUM(keys) AS keys, SUM(memory) AS memory, SUM(key_bytes) AS key_bytes, MIN(key_min) AS example,
         CASE WHEN instr(pattern, '{') > 0 THEN instr(pattern, '{') - 1 ELSE length(pattern) END AS prefix_len
  FROM key_groups
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
  HAVING SUM(keys) >= 10000 AND SUM(key_bytes) >= 0.3 * SUM(memory)
)
SELECT pattern, keys, memory,
       keys * MAX(0, prefix_len - 2) AS savings,
       printf('key names are %.0f %% of the memory (average %.1f bytes); constant prefix %d bytes',
              key_bytes * 100.0 / memory, key_bytes * 1.0 / keys, prefix_len) AS detail,
       example
FROM f

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
WITH f AS (
  SELECT pattern, COUNT(*) AS keys, SUM(memory) AS memory, SUM(length(key)) AS key_bytes, MIN(key) AS example,
         CASE WHEN instr(pattern, '{') > 0 THEN instr(pattern, '{') - 1 ELSE length(pattern) END AS prefix_len
  FROM keys
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
  HAVING COUNT(*) >= 10000 AND SUM(length(key)) >= 0.3 * SUM(memory)
)
SELECT pattern, keys, memory,
       keys * MAX(0, prefix_len - 2) AS savings,
       printf('key names are %.0f %% of the memory (average %.1f bytes); constant prefix %d bytes',
              key_bytes * 100.0 / memory, key_bytes * 1.0 / keys, prefix_len) AS detail,
       example
FROM f
