-- id: heavy-json-fields
-- title: JSON fields that take over a fifth of their family
-- severity: info
-- rationale: A single field that holds more than 20 % of a JSON family's bytes (a cart, a history, an embedded
--   blob) is often data that belongs in a key of its own, or that the application no longer reads.
-- frees: rewrite
-- fix: Check whether the application needs the field in every value; move it to its own key (fetched when needed),
--   trim it, or drop it. `rdbscope shape --pattern P` lists the field paths by weight.

-- From value_fields (the value sample of index): field paths (not array elements `[*]`) whose share_of_bytes is over
-- 0.2. Savings: the heaviest such field's bytes across the family (upper bound: if it can be dropped).
-- @affected
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       MAX(f.top) AS savings,
       MAX(f.heavy) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g
JOIN value_shapes s ON s.snapshot_id = g.snapshot_id AND s.pattern = g.pattern
JOIN (SELECT pattern, MAX(bytes) AS top,
             group_concat(printf('%s %.0f %% of the bytes (in %.0f %% of the values)', path, share_of_bytes * 100, present * 100), ', ') AS heavy
      FROM value_fields WHERE snapshot_id = :snapshot AND share_of_bytes > 0.2 AND path NOT LIKE '%[*]'
      GROUP BY pattern) f ON f.pattern = s.pattern
WHERE g.snapshot_id = :snapshot
GROUP BY g.pattern

-- @scan
-- The same result from every key (what the tests hold @affected to).
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       MAX(f.top) AS savings,
       MAX(f.heavy) AS detail,
       MIN(k.key) AS example
FROM keys k
JOIN value_shapes s ON s.snapshot_id = k.snapshot_id AND s.pattern = k.pattern
JOIN (SELECT pattern, MAX(bytes) AS top,
             group_concat(printf('%s %.0f %% of the bytes (in %.0f %% of the values)', path, share_of_bytes * 100, present * 100), ', ') AS heavy
      FROM value_fields WHERE snapshot_id = :snapshot AND share_of_bytes > 0.2 AND path NOT LIKE '%[*]'
      GROUP BY pattern) f ON f.pattern = s.pattern
WHERE k.snapshot_id = :snapshot
GROUP BY k.pattern
