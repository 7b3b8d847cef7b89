-- id: zset-timestamp-scores
-- title: Sorted sets scored by timestamps
-- severity: info
-- rationale: Sorted sets whose scores are all epoch timestamps are time-ordered logs or windows (recent
--   activity, rate limits, delayed jobs); unless something trims them they keep every member ever added.
-- frees: rewrite
-- fix: Trim old members on a schedule (ZREMRANGEBYSCORE key -inf CUTOFF) or cap the size (ZREMRANGEBYRANK), and
--   give per-period keys a TTL.

-- A timestamp score lies between 2000-01-01 and 2100-01-01 in seconds, milliseconds or microseconds; only
-- zsets of 10 or more members whose lowest and highest scores both do are listed. No savings are claimed.
-- @affected
SELECT COALESCE(pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(memory) AS memory,
       0 AS savings,
       printf('%d members; scores from %s to %s', SUM(length),
              datetime(MIN(score_min) / (CASE WHEN MIN(score_min) >= 1e14 THEN 1e6 WHEN MIN(score_min) >= 1e11 THEN 1e3 ELSE 1 END), 'unixepoch'),
              datetime(MAX(score_max) / (CASE WHEN MAX(score_max) >= 1e14 THEN 1e6 WHEN MAX(score_max) >= 1e11 THEN 1e3 ELSE 1 END), 'unixepoch')) AS detail,
       MIN(key) AS example
FROM notable_keys
WHERE snapshot_id = :snapshot AND type = 'zset' AND length >= 10
  AND (   (score_min >= 946684800 AND score_max < 4102444800)
       OR (score_min >= 946684800000 AND score_max < 4102444800000)
       OR (score_min >= 946684800000000 AND score_max < 4102444800000000))
GROUP BY pattern
