-- id: compressible-elements
-- title: List items and hash values that compress well
-- severity: info
-- rationale: Elements of lists, sets, sorted sets and hash values that deflate to half or less (JSON events, HTML,
--   logs) can be compressed by the client one element at a time, as large strings can.
-- frees: rewrite
-- fix: Compress the elements on write and decompress on read in the client (zstd, lz4 or gzip with a marker byte);
--   `rdbscope shape --pattern P` shows the measured ratio.

-- From value_shapes, collection families whose sampled elements' deflate ratio (fflate level 6, already
-- compressed elements counted at 1) is 2 or more. Savings: deflate_savings, the element bytes deflate would save
-- across the family (payload bytes; the per-element overhead of the encoding is not counted).
-- @affected
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       MAX(s.deflate_savings) AS savings,
       MAX(printf('deflate ratio %.2f (+-%.2f) over %d sampled elements of %d of %d keys', s.deflate_ratio, s.deflate_ratio_error, s.sampled_values, s.sampled, s.keys)) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g
JOIN value_shapes s ON s.snapshot_id = g.snapshot_id AND s.pattern = g.pattern
WHERE g.snapshot_id = :snapshot AND s.type IN ('list', 'set', 'zset', 'hash') AND s.deflate_ratio >= 2 AND s.deflate_savings > 0
GROUP BY g.pattern

-- @scan
-- The same result from every key (what the tests hold @affected to).
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       MAX(s.deflate_savings) AS savings,
       MAX(printf('deflate ratio %.2f (+-%.2f) over %d sampled elements of %d of %d keys', s.deflate_ratio, s.deflate_ratio_error, s.sampled_values, s.sampled, s.keys)) AS detail,
       MIN(k.key) AS example
FROM keys k
JOIN value_shapes s ON s.snapshot_id = k.snapshot_id AND s.pattern = k.pattern
WHERE k.snapshot_id = :snapshot AND s.type IN ('list', 'set', 'zset', 'hash') AND s.deflate_ratio >= 2 AND s.deflate_savings > 0
GROUP BY k.pattern
