-- id: encoding-listpack
-- title: Small hashes, sets and sorted sets stored in a large encoding
-- severity: info
-- rationale: A hash, set or sorted set with few, short elements fits in one compact listpack allocation; stored
--   as a hashtable or skiplist it costs a pointer structure per element, often 3 to 10 times the memory. Keys end
--   up there when they once grew past the server's *-max-listpack-* limits (a key is never converted back while
--   the server runs) or when the limits are set lower than the data.
-- frees: rewrite
-- fix: Set the stated limits (CONFIG SET and redis.conf); keys already converted become listpacks again when the
--   server loads its dump again (restart, replica full resync) or when rewritten with DUMP + RESTORE.

-- Candidates: hashtable/skiplist keys with at most 512 elements of at most 256 bytes (the largest element;
-- for a hash, field and value together). Sets only when the writer is Redis 7.2+ or Valkey (set listpacks).
-- Listpack size, an upper bound per key: 7 bytes of header and end mark, plus per element its bytes and at most
-- 4 bytes of entry header and back-length (elements under 4 KiB): hash pair L + 8, set member L + 4, sorted set
-- member L + 4 and score <= 28, with L the largest element. New memory: 16-byte object + listpack * 1.25
-- (allocator rounding) + key overhead (32 + (key bytes + 5) * 1.25). Savings: memory minus that, floored at 0.
-- @affected
WITH w AS (
  SELECT CASE WHEN magic = 'VALKEY' OR writer LIKE 'valkey%' THEN 99
              ELSE CAST(substr(writer, instr(writer, ' ') + 1) AS INTEGER) END AS major,
         CAST(substr(substr(writer, instr(writer, ' ') + 1), instr(substr(writer, instr(writer, ' ') + 1), '.') + 1) AS INTEGER) AS minor
  FROM snapshots WHERE id = :snapshot
)
SELECT COALESCE(k.pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       CAST(SUM(MAX(0, k.memory - (32 + (length(k.key) + 5) * 1.25 + 16 + 1.25 * (7 + k.length *
         CASE k.type WHEN 'hash' THEN k.largest_element + 8 WHEN 'set' THEN k.largest_element + 4
                     ELSE k.largest_element + 32 END)))) AS INTEGER) AS savings,
       printf('%s %s: %s-max-%s-entries %d and %s-max-%s-value %d (largest key: %d elements, largest element %d bytes)',
              k.type, k.encoding,
              k.type, CASE WHEN w.major >= 7 THEN 'listpack' ELSE 'ziplist' END,
              CASE WHEN MAX(k.length) <= 128 THEN 128 WHEN MAX(k.length) <= 256 THEN 256 ELSE 512 END,
              k.type, CASE WHEN w.major >= 7 THEN 'listpack' ELSE 'ziplist' END,
              CASE WHEN MAX(k.largest_element) <= 64 THEN 64 WHEN MAX(k.largest_element) <= 128 THEN 128 ELSE 256 END,
              MAX(k.length), MAX(k.largest_element)) AS detail,
       MIN(k.key) AS example
FROM notable_keys k, w
WHERE k.snapshot_id = :snapshot
  AND k.length BETWEEN 1 AND 512 AND k.largest_element <= 256
  AND (   (k.type = 'hash' AND k.encoding = 'hashtable')
       OR (k.type = 'zset' AND k.encoding = 'skiplist')
       OR (k.type = 'set' AND k.encoding = 'hashtable' AND (w.major > 7 OR (w.major = 7 AND w.minor >= 2))))
GROUP BY k.type, k.pattern
