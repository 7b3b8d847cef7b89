-- id: small-strings-to-hash
-- title: Many small strings of one family that would pack into hashes
-- severity: info
-- rationale: Every top-level key costs about 50-70 bytes of overhead (dictionary entry, key string, value
--   object) beyond its name and value. A family of thousands of small strings without TTL can instead live as
--   fields of hashes holding about 100 fields each, which stay listpacks: a field costs its bytes plus a few.
-- frees: rewrite
-- fix: Map key family:ID to hash family:{ID div 100} field {ID mod 100} (HSET/HGET instead of SET/GET), keep
--   each hash under hash-max-listpack-entries fields, and values under hash-max-listpack-value bytes.

-- Families with at least 1,000 string keys without TTL and values of at most 64 bytes (hash fields cannot carry
-- a TTL before Redis 7.4). New cost per key, an upper bound: (key bytes as the field name + value bytes + 8
-- bytes of listpack entry headers) * 1.25 for allocator rounding, + 2 bytes share of the hash's own overhead.
-- @affected
SELECT pattern,
       SUM(keys) AS keys,
       SUM(memory) AS memory,
       CAST(SUM(as_hash_savings) AS INTEGER) AS savings,
       printf('%d small strings averaging %d bytes of memory each; about %d bytes each as hash fields',
              SUM(keys), CAST(SUM(memory) * 1.0 / SUM(keys) AS INTEGER),
              CAST(((SUM(key_bytes) + SUM(length_sum) + 8 * SUM(keys)) * 1.25 + 2 * SUM(keys)) / SUM(keys) AS INTEGER)) AS detail,
       MIN(key_min) AS example
FROM key_groups
WHERE snapshot_id = :snapshot AND type = 'string' AND ttl_class = 0 AND short_string = 1 AND pattern IS NOT NULL
GROUP BY pattern
HAVING SUM(keys) >= 1000

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       CAST(SUM(MAX(0, memory - ((length(key) + length + 8) * 1.25 + 2))) AS INTEGER) AS savings,
       printf('%d small strings averaging %d bytes of memory each; about %d bytes each as hash fields',
              COUNT(*), CAST(AVG(memory) AS INTEGER), CAST(AVG((length(key) + length + 8) * 1.25 + 2) AS INTEGER)) AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot AND type = 'string' AND expires_at IS NULL AND length <= 64 AND pattern IS NOT NULL
GROUP BY pattern
HAVING COUNT(*) >= 1000
