-- id: expired-keys
-- title: Keys already expired when the dump was written
-- severity: warning
-- rationale: A key whose TTL had passed when the snapshot was taken still used memory: Redis removes expired
--   keys lazily (on access) and by a sampling cycle, which falls behind when many keys expire together or the
--   server is busy. A large share here means memory is held by data nobody can read.
-- frees: now
-- fix: Raise active-expire-effort (1-10, default 1), spread TTLs with random jitter so keys do not expire at the
--   same moment, or run a SCAN over the family (touching a key expires it).

-- @skip
SELECT CASE WHEN ctime IS NULL THEN 'the dump has no ctime aux field, so the time it was written is unknown' END
FROM snapshots WHERE id = :snapshot

-- Expired means expires_at (ms) <= the dump's ctime (s) * 1000. Savings: all their memory.
-- @affected
SELECT COALESCE(g.pattern, '(no pattern)') AS pattern,
       SUM(g.keys) AS keys,
       SUM(g.memory) AS memory,
       SUM(g.memory) AS savings,
       printf('expired between %.1f h and %.1f h before the dump', (s.ctime * 1000 - MAX(g.expires_max)) / 3600000.0,
              (s.ctime * 1000 - MIN(g.expires_min)) / 3600000.0) AS detail,
       MIN(g.key_min) AS example
FROM key_groups g JOIN snapshots s ON s.id = g.snapshot_id
WHERE g.snapshot_id = :snapshot AND g.ttl_class = 1
GROUP BY g.pattern

-- @scan
-- The same result from every key: what `plan --rule` lists keys from, and what the tests hold @affected to.
SELECT COALESCE(k.pattern, '(no pattern)') AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       SUM(k.memory) AS savings,
       printf('expired between %.1f h and %.1f h before the dump', (s.ctime * 1000 - MAX(k.expires_at)) / 3600000.0,
              (s.ctime * 1000 - MIN(k.expires_at)) / 3600000.0) AS detail,
       MIN(k.key) AS example
FROM keys k JOIN snapshots s ON s.id = k.snapshot_id
WHERE k.snapshot_id = :snapshot
  AND k.expires_at IS NOT NULL
  AND k.expires_at <= s.ctime * 1000
GROUP BY k.pattern
