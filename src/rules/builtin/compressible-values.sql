-- id: compressible-values
-- title: Large string values that compress well
-- severity: info
-- rationale: Strings over 1 KiB whose content deflates to half or less (JSON, HTML, logs, serialized objects)
--   can be stored compressed by the client: less memory, less network, faster replication.
-- frees: rewrite
-- fix: Compress on write and decompress on read in the client (zstd, lz4 or gzip with a marker byte), starting
--   with the families at the top of this list.

-- compress_ratio is the deflate ratio (original / compressed) the indexer measured on a 4 KiB prefix of large
-- values (the first 1,024 large values of a dump, then one in 32, and every value of 64 KiB or more; NULL = not
-- measured). Values already compressed (gzip, zlib, zstd, lz4, snappy magic) are recorded with ratio 1 and left
-- out, and so are families that index's value sample found mostly compressed (see the rule compressed-values).
-- List items and hash values: the rule compressible-elements.
-- A family qualifies when the average ratio of its measured values is 2 or more; savings extrapolate that
-- average to all of its large values: total length * (1 - 1 / average ratio).
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       CAST(SUM(length) * (1 - 1 / AVG(compress_ratio)) AS INTEGER) AS savings,
       printf('average ratio %.1f (%d of %d values measured) on values averaging %.1f KiB',
              AVG(compress_ratio), COUNT(compress_ratio), COUNT(*), AVG(length) / 1024.0) AS detail,
       MIN(key) AS example
FROM notable_keys
WHERE snapshot_id = :snapshot AND type = 'string' AND length > 1024 AND compress_ratio IS NOT 1
  AND COALESCE(pattern, '') NOT IN (SELECT pattern FROM value_shapes WHERE snapshot_id = :snapshot AND compressed_share >= 0.5)
GROUP BY pattern
HAVING AVG(compress_ratio) >= 2
