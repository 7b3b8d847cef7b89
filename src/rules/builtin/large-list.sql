-- id: large-list
-- title: Lists with over 1,000 elements
-- severity: info
-- rationale: Long lists are usually queues or logs that are appended to and rarely trimmed. Their inner
--   quicklist nodes can be LZF-compressed by the server (list-compress-depth), which costs a little CPU on
--   access to the middle of the list and none at the ends.
-- frees: rewrite
-- fix: Trim them (LTRIM after LPUSH, or XADD MAXLEN with a stream), and set list-compress-depth 1 (compress all
--   but the head and tail nodes) when the elements are compressible text.

-- Savings only where the inventory measured a compression ratio for the key (compress_ratio): LZF gains about
-- half what deflate does, so the estimate is memory * (1 - 1/ratio) / 2; otherwise 0.
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       CAST(SUM(CASE WHEN compress_ratio > 1 THEN memory * (1 - 1 / compress_ratio) / 2 ELSE 0 END) AS INTEGER) AS savings,
       printf('up to %d elements (average %d); %s', MAX(length), CAST(AVG(length) AS INTEGER),
              CASE WHEN COUNT(compress_ratio) > 0 THEN printf('measured deflate ratio %.1f', AVG(compress_ratio))
                   ELSE 'compressibility not measured' END) AS detail,
       MIN(key) AS example
FROM notable_keys
WHERE snapshot_id = :snapshot AND type = 'list' AND length > 1000
GROUP BY pattern
