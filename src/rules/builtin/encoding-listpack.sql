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

-- Candidates: hashtable/skiplist keys with at most 512 elements of at most 256 bytes, or within the server's
-- limits when they are higher (the largest element;
-- for a hash, field and value together). Sets only when the writer is Redis 7.2+ or Valkey (set listpacks).
-- Listpack size, an upper bound per key: 7 bytes of header and end mark, plus per element its bytes and at most
-- 4 bytes of entry header and back-length (elements under 4 KiB): hash pair L + 8, set member L + 4, sorted set
-- member L + 4 and score <= 28, with L the largest element. New memory: 16-byte object + listpack * 1.25
-- (allocator rounding) + key overhead (32 + (key bytes + 5) * 1.25). Savings: memory minus that, floored at 0.
-- With server facts (CONFIG GET recorded by index --url or rdbscope facts), the server's own limits are named
-- and a family already within them is said to be so (converted when its keys once grew; a reload converts them
-- back); without, the limits are the defaults (128 entries, 64 bytes).
-- @affected
WITH lim AS (
  SELECT MAX(CASE WHEN name IN ('config.hash-max-listpack-entries', 'config.hash-max-ziplist-entries') THEN CAST(value AS INTEGER) END) AS hash_n,
         MAX(CASE WHEN name IN ('config.hash-max-listpack-value', 'config.hash-max-ziplist-value') THEN CAST(value AS INTEGER) END) AS hash_v,
         MAX(CASE WHEN name = 'config.set-max-listpack-entries' THEN CAST(value AS INTEGER) END) AS set_n,
         MAX(CASE WHEN name = 'config.set-max-listpack-value' THEN CAST(value AS INTEGER) END) AS set_v,
         MAX(CASE WHEN name IN ('config.zset-max-listpack-entries', 'config.zset-max-ziplist-entries') THEN CAST(value AS INTEGER) END) AS zset_n,
         MAX(CASE WHEN name IN ('config.zset-max-listpack-value', 'config.zset-max-ziplist-value') THEN CAST(value AS INTEGER) END) AS zset_v
  FROM server_facts WHERE snapshot_id = :snapshot
), w AS (
  SELECT CASE WHEN magic = 'VALKEY' OR writer LIKE 'valkey%' THEN 99
              ELSE CAST(substr(writer, instr(writer, ' ') + 1) AS INTEGER) END AS major,
         CAST(substr(substr(writer, instr(writer, ' ') + 1), instr(substr(writer, instr(writer, ' ') + 1), '.') + 1) AS INTEGER) AS minor
  FROM snapshots WHERE id = :snapshot
), t AS (
  SELECT 'hash' AS type, hash_n AS n, hash_v AS v FROM lim
  UNION ALL SELECT 'set', set_n, set_v FROM lim
  UNION ALL SELECT 'zset', zset_n, zset_v FROM lim
)
SELECT COALESCE(k.pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       CAST(SUM(MAX(0, k.memory - (32 + (length(k.key) + 5) * 1.25 + 16 + 1.25 * (7 + k.length *
         CASE k.type WHEN 'hash' THEN k.largest_element + 8 WHEN 'set' THEN k.largest_element + 4
                     ELSE k.largest_element + 32 END)))) AS INTEGER) AS savings,
       CASE WHEN t.n IS NOT NULL AND MAX(k.length) <= t.n AND MAX(k.largest_element) <= t.v
            THEN printf('%s %s within the server''s limits (%s-max-%s-entries %d, %s-max-%s-value %d; largest key: %d elements, largest element %d bytes): converted when they once grew larger',
                        k.type, k.encoding, k.type, CASE WHEN w.major >= 7 THEN 'listpack' ELSE 'ziplist' END, t.n,
                        k.type, CASE WHEN w.major >= 7 THEN 'listpack' ELSE 'ziplist' END, t.v, MAX(k.length), MAX(k.largest_element))
       ELSE printf('%s %s: %s-max-%s-entries %d and %s-max-%s-value %d (largest key: %d elements, largest element %d bytes)',
                k.type, k.encoding,
                k.type, CASE WHEN w.major >= 7 THEN 'listpack' ELSE 'ziplist' END,
                CASE WHEN MAX(k.length) <= 128 THEN 128 WHEN MAX(k.length) <= 256 THEN 256 ELSE 512 END,
                k.type, CASE WHEN w.major >= 7 THEN 'listpack' ELSE 'ziplist' END,
                CASE WHEN MAX(k.largest_element) <= 64 THEN 64 WHEN MAX(k.largest_element) <= 128 THEN 128 ELSE 256 END,
                MAX(k.length), MAX(k.largest_element)) ||
              CASE WHEN t.n IS NOT NULL THEN printf('; the server has %d and %d', t.n, t.v) ELSE '' END
       END AS detail,
       MIN(k.key) AS example
FROM notable_keys k CROSS JOIN w LEFT JOIN t ON t.type = k.type
-- The encodings spelled out as in the keys_encoded index, so that SQLite reads those keys only.
WHERE k.snapshot_id = :snapshot AND k.encoding IN ('hashtable', 'skiplist', 'linkedlist')
  AND k.length BETWEEN 1 AND MAX(512, COALESCE(t.n, 0)) AND k.largest_element <= MAX(256, COALESCE(t.v, 0))
  AND (   (k.type = 'hash' AND k.encoding = 'hashtable')
       OR (k.type = 'zset' AND k.encoding = 'skiplist')
       OR (k.type = 'set' AND k.encoding = 'hashtable' AND (w.major > 7 OR (w.major = 7 AND w.minor >= 2))))
GROUP BY k.type, k.pattern
