-- id: compressed-values
-- title: Values that are already compressed
-- severity: info
-- rationale: Values stored gzip-, zlib-, zstd-, lz4- or snappy-compressed gain nothing from compressing them again
--   (compressible-values never counts them); they are listed so that they are not taken for incompressible data,
--   and because a copy of the same data kept uncompressed elsewhere (see duplicate-families) is what to remove.
-- frees: rewrite
-- fix: Nothing to do for these values; keep client-side compression for the families that lack it.

-- From value_shapes, families of which at least half the sampled values start with a compression format's magic
-- number. Savings: 0.
-- @affected
SELECT g.pattern AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       0 AS savings,
       MAX(printf('%.0f %% of the values already compressed (%s)', s.compressed_share * 100, (SELECT group_concat(format, ', ') FROM value_formats v WHERE v.snapshot_id = s.snapshot_id AND v.pattern = s.pattern AND v.format IN ('gzip', 'zlib', 'zstd', 'lz4', 'snappy')))) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g
JOIN value_shapes s ON s.snapshot_id = g.snapshot_id AND s.pattern = g.pattern
WHERE g.snapshot_id = :snapshot AND s.compressed_share >= 0.5
GROUP BY g.pattern

-- @scan
-- The same result from every key (what the tests hold @affected to).
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       0 AS savings,
       MAX(printf('%.0f %% of the values already compressed (%s)', s.compressed_share * 100, (SELECT group_concat(format, ', ') FROM value_formats v WHERE v.snapshot_id = s.snapshot_id AND v.pattern = s.pattern AND v.format IN ('gzip', 'zlib', 'zstd', 'lz4', 'snappy')))) AS detail,
       MIN(k.key) AS example
FROM keys k
JOIN value_shapes s ON s.snapshot_id = k.snapshot_id AND s.pattern = k.pattern
WHERE k.snapshot_id = :snapshot AND s.compressed_share >= 0.5
GROUP BY k.pattern
