-- id: blocking-delete
-- title: Keys whose deletion would block the server
-- severity: warning
-- rationale: DEL frees a collection element by element in the server's main thread: a hash, set or sorted set
--   of 100,000 members stored as a hashtable or skiplist takes tens of milliseconds to free, during which every
--   client waits. Expiry and eviction of such keys block the same way unless lazy freeing is on.
-- frees: now
-- fix: Delete them with UNLINK (frees in a background thread), and set lazyfree-lazy-user-del yes,
--   lazyfree-lazy-expire yes and lazyfree-lazy-eviction yes so that DEL, expiry and eviction do the same.

-- Pointer-based encodings (one allocation per element) with 10,000 or more elements, and quicklists with
-- 100,000 or more elements. No savings: the gain is latency.
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%s encoded %s, up to %d elements', group_concat(DISTINCT encoding), group_concat(DISTINCT type),
              MAX(length)) AS detail,
       MIN(key) AS example
FROM notable_keys
-- The types and lengths these encodings imply, spelled out so that SQLite reads the keys_large index (the keys
-- over 1,000 by type and length) from 10,000 elements on.
WHERE snapshot_id = :snapshot AND type IN ('hash', 'set', 'zset', 'list', 'stream') AND length > 1000 AND length >= 10000
  AND (   (encoding IN ('hashtable', 'skiplist', 'linkedlist', 'stream') AND length >= 10000)
       OR (encoding = 'quicklist' AND length >= 100000))
GROUP BY pattern
