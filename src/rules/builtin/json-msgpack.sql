-- id: json-msgpack
-- title: JSON strings that MessagePack (+ deflate) would store in far less memory
-- severity: info
-- rationale: Measured on the sampled values of the family (not assumed): the same objects encoded as MessagePack,
--   or MessagePack then deflated, take over 30 % fewer bytes than the JSON text. Field names and quotes repeated in
--   every value are what MessagePack and deflate remove.
-- frees: rewrite
-- fix: Encode these values with MessagePack (and deflate for larger ones) in the client; `rdbscope shape --pattern P`
--   shows the measured ratios with their margins.

-- From value_shapes (the value sample of index): JSON string families (>= half the values JSON) whose measured
-- MessagePack or MessagePack+deflate ratio is over 1 / 0.7 (saves over 30 % of the bytes). Savings: the larger of
-- msgpack_savings and msgpack_deflate_savings, the memory saved as the memory model counts the shorter strings.
-- @affected
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       MAX(MAX(COALESCE(s.msgpack_savings, 0), COALESCE(s.msgpack_deflate_savings, 0))) AS savings,
       MAX(printf('MessagePack ratio %.2f (+-%.2f), + deflate %.2f (+-%.2f), from %d of %d keys', s.msgpack_ratio, s.msgpack_ratio_error, s.msgpack_deflate_ratio, s.msgpack_deflate_ratio_error, s.sampled, s.keys)) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g
JOIN value_shapes s ON s.snapshot_id = g.snapshot_id AND s.pattern = g.pattern
WHERE g.snapshot_id = :snapshot AND s.type = 'string' AND s.json_share >= 0.5 AND (s.msgpack_ratio > 1 / 0.7 OR s.msgpack_deflate_ratio > 1 / 0.7) AND MAX(COALESCE(s.msgpack_savings, 0), COALESCE(s.msgpack_deflate_savings, 0)) > 0
GROUP BY g.pattern

-- @scan
-- The same result from every key (what the tests hold @affected to).
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       MAX(MAX(COALESCE(s.msgpack_savings, 0), COALESCE(s.msgpack_deflate_savings, 0))) AS savings,
       MAX(printf('MessagePack ratio %.2f (+-%.2f), + deflate %.2f (+-%.2f), from %d of %d keys', s.msgpack_ratio, s.msgpack_ratio_error, s.msgpack_deflate_ratio, s.msgpack_deflate_ratio_error, s.sampled, s.keys)) AS detail,
       MIN(k.key) AS example
FROM keys k
JOIN value_shapes s ON s.snapshot_id = k.snapshot_id AND s.pattern = k.pattern
WHERE k.snapshot_id = :snapshot AND s.type = 'string' AND s.json_share >= 0.5 AND (s.msgpack_ratio > 1 / 0.7 OR s.msgpack_deflate_ratio > 1 / 0.7) AND MAX(COALESCE(s.msgpack_savings, 0), COALESCE(s.msgpack_deflate_savings, 0)) > 0
GROUP BY k.pattern
