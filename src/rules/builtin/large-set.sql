-- id: large-set
-- title: Sets with over 1,000 members that may only need a count or a membership test
-- severity: info
-- rationale: A set stores every member. If the application only asks how many distinct members there are
--   (SCARD), a HyperLogLog answers with 0.81 % standard error in at most 12 KiB; if it only asks whether a member
--   was seen, a Bloom filter (RedisBloom / valkey-bloom) needs about 1.2 bytes a member at 1 % false positives.
-- frees: rewrite
-- fix: If only the count is used, PFADD the members into a HyperLogLog and read PFCOUNT; for membership tests
--   use BF.ADD / BF.EXISTS. Keep the set if members are listed or removed.

-- Savings: per key, its memory minus 14,500 bytes (a dense HyperLogLog of 12,304 bytes in a 14,336-byte
-- allocation plus the key's own overhead, rounded up); 0 when the set is already smaller.
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       SUM(MAX(0, memory - 14500 - length(key))) AS savings,
       printf('up to %d members (average %d); savings only if a count (HyperLogLog) is all that is needed',
              MAX(length), CAST(AVG(length) AS INTEGER)) AS detail,
       MIN(key) AS example
FROM notable_keys
WHERE snapshot_id = :snapshot AND type = 'set' AND length > 1000
GROUP BY pattern
