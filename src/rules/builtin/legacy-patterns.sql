-- id: legacy-patterns
-- title: Two naming formats of one key family
-- severity: info
-- rationale: When two patterns differ only in separators, case, a plural or a version tag (user_profile:{id}
--   and user:profile:{id}, cache:v1:{id} and cache:v2:{id}), the smaller one is often a leftover of an old
--   format that the application no longer reads.
-- frees: now
-- fix: Check whether the application still reads the smaller format; if not, delete its keys (UNLINK in a
--   reviewed script) or give them a TTL so they drain.

-- Families are compared after lower-casing, mapping _ - . / to ':', dropping a plural 's' before ':', and
-- replacing version tags v1..v9 by 'v'. Every format but the largest (by key count) is reported; savings is its
-- memory, an upper bound (if it is indeed unused).
-- @affected
WITH p AS (
  SELECT pattern, SUM(keys) AS keys, SUM(memory) AS memory, MIN(key_min) AS example,
         replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
           ':' || lower(pattern) || ':',
           '_', ':'), '-', ':'), '.', ':'), '/', ':'), 's:', ':'),
           ':v1:', ':v:'), ':v2:', ':v:'), ':v3:', ':v:'), ':v4:', ':v:'), ':v5:', ':v:'), ':v6:', ':v:'),
           ':v7:', ':v:'), ':v8:', ':v:') AS family
  FROM key_groups
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
),
ranked AS (
  SELECT p.*, ROW_NUMBER() OVER (PARTITION BY family ORDER BY keys DESC, pattern) AS rn,
         FIRST_VALUE(pattern) OVER (PARTITION BY family ORDER BY keys DESC, pattern) AS main,
         FIRST_VALUE(keys) OVER (PARTITION BY family ORDER BY keys DESC, pattern) AS main_keys
  FROM p
)
SELECT pattern,
       keys,
       memory,
       memory AS savings,
       printf('same family as %s (%d keys)', main, main_keys) AS detail,
       example
FROM ranked
WHERE rn > 1

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
WITH p AS (
  SELECT pattern, COUNT(*) AS keys, SUM(memory) AS memory, MIN(key) AS example,
         replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
           ':' || lower(pattern) || ':',
           '_', ':'), '-', ':'), '.', ':'), '/', ':'), 's:', ':'),
           ':v1:', ':v:'), ':v2:', ':v:'), ':v3:', ':v:'), ':v4:', ':v:'), ':v5:', ':v:'), ':v6:', ':v:'),
           ':v7:', ':v:'), ':v8:', ':v:') AS family
  FROM keys
  WHERE snapshot_id = :snapshot AND pattern IS NOT NULL
  GROUP BY pattern
),
ranked AS (
  SELECT p.*, ROW_NUMBER() OVER (PARTITION BY family ORDER BY keys DESC, pattern) AS rn,
         FIRST_VALUE(pattern) OVER (PARTITION BY family ORDER BY keys DESC, pattern) AS main,
         FIRST_VALUE(keys) OVER (PARTITION BY family ORDER BY keys DESC, pattern) AS main_keys
  FROM p
)
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       SUM(k.memory) AS savings,
       printf('same family as %s (%d keys)', r.main, r.main_keys) AS detail,
       MIN(k.key) AS example
FROM keys k JOIN ranked r ON r.pattern = k.pattern
WHERE k.snapshot_id = :snapshot AND r.rn > 1
GROUP BY k.pattern
