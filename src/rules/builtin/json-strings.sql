-- id: json-strings
-- title: Strings that hold JSON documents
-- severity: info
-- rationale: A JSON document in a string is rewritten whole on every change and parsed whole by every reader,
--   and every document repeats its field names.
-- frees: rewrite
-- fix: Store flat objects as hashes (HSET/HGET a field at a time) or use a JSON data type where the server has
--   one; documents read whole compress well in the client (see compressible-values).

-- value_format is 'json' when a string over 20 bytes (its first 4 KiB) parses as, or starts like, a JSON object
-- or array. No savings are claimed: the gain depends on the documents' shape.
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       SUM(keys) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d JSON strings averaging %d bytes', SUM(keys), SUM(length_sum) * 1.0 / SUM(keys)) AS detail,
       MIN(key_min) AS example
FROM key_groups
WHERE snapshot_id = :snapshot AND type = 'string' AND json = 1
GROUP BY pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d JSON strings averaging %d bytes', COUNT(*), AVG(length)) AS detail,
       MIN(key) AS example
FROM keys
WHERE snapshot_id = :snapshot AND type = 'string' AND value_format = 'json'
GROUP BY pattern
