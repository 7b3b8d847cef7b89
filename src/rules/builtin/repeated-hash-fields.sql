-- id: repeated-hash-fields
-- title: Long field names repeated in every hash of a family
-- severity: info
-- rationale: Every hash stores its own field names. In a family of many small hashes with the same fields, each
--   name takes memory once per hash.
-- frees: rewrite
-- fix: Shorten the field names, or map them to short codes in the client.

-- From hash_fields: names longer than 2 bytes found in at least half of the hashes of a family of 100 or more
-- hashes. Savings assume each such name were cut to 2 bytes, once per hash that has it.
-- @affected
SELECT f.pattern AS pattern,
       MAX(f.family_hashes) AS keys,
       (SELECT SUM(g.memory) FROM key_groups g WHERE g.snapshot_id = :snapshot AND g.pattern = f.pattern) AS memory,
       SUM((length(f.field) - 2) * f.hashes) AS savings,
       printf('%d names in most hashes: %s', COUNT(*), group_concat(COALESCE(f.field_text, 'x''' || hex(f.field) || ''''), ', ')) AS detail,
       NULL AS example
FROM hash_fields f
WHERE f.snapshot_id = :snapshot AND f.family_hashes >= 100 AND f.hashes * 2 >= f.family_hashes AND length(f.field) > 2
GROUP BY f.pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT f.pattern AS pattern,
       MAX(f.family_hashes) AS keys,
       (SELECT SUM(k.memory) FROM keys k WHERE k.snapshot_id = :snapshot AND k.pattern = f.pattern) AS memory,
       SUM((length(f.field) - 2) * f.hashes) AS savings,
       printf('%d names in most hashes: %s', COUNT(*), group_concat(COALESCE(f.field_text, 'x''' || hex(f.field) || ''''), ', ')) AS detail,
       NULL AS example
FROM hash_fields f
WHERE f.snapshot_id = :snapshot AND f.family_hashes >= 100 AND f.hashes * 2 >= f.family_hashes AND length(f.field) > 2
GROUP BY f.pattern
