-- id: json-as-hash
-- title: Small flat JSON objects that would take less memory as hashes
-- severity: info
-- rationale: A flat JSON object (string, number and boolean members) stored as a string repeats its quotes and
--   punctuation in every key; as a Redis hash of up to 128 short fields it is a listpack, which the memory model
--   finds smaller here, and single fields can be read and written with HGET / HSET.
-- frees: rewrite
-- fix: Store these objects with HSET (one field a member) instead of SET of the JSON text, when the application
--   reads them field by field or whole with HGETALL.

-- From value_shapes, string families whose sampled values are flat JSON objects (>= 80 %) and for which the memory
-- model gives a positive hash_savings (the same members written as a hash, listpack or hash table as HSET makes).
-- @affected
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       MAX(s.hash_savings) AS savings,
       MAX(printf('%.0f %% flat objects; as hashes: %d bytes less (+-%d), from %d of %d keys', s.flat_json_share * 100, s.hash_savings, s.hash_savings_error, s.sampled, s.keys)) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g
JOIN value_shapes s ON s.snapshot_id = g.snapshot_id AND s.pattern = g.pattern
WHERE g.snapshot_id = :snapshot AND s.type = 'string' AND s.flat_json_share >= 0.8 AND s.hash_savings > 0
GROUP BY g.pattern

-- @scan
-- The same result from every key (what the tests hold @affected to).
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       MAX(s.hash_savings) AS savings,
       MAX(printf('%.0f %% flat objects; as hashes: %d bytes less (+-%d), from %d of %d keys', s.flat_json_share * 100, s.hash_savings, s.hash_savings_error, s.sampled, s.keys)) AS detail,
       MIN(k.key) AS example
FROM keys k
JOIN value_shapes s ON s.snapshot_id = k.snapshot_id AND s.pattern = k.pattern
WHERE k.snapshot_id = :snapshot AND s.type = 'string' AND s.flat_json_share >= 0.8 AND s.hash_savings > 0
GROUP BY k.pattern
