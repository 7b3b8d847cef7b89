-- id: duplicate-families
-- title: Two key families holding the same data
-- severity: warning
-- rationale: Two families whose keys carry the same ids (sess:{uuid} and session:{uuid} with the same uuids,
--   timeline:{int} and timeline:c:{int} for the same users) usually hold the same data twice: an old format
--   left behind after a migration, or a copy in a new encoding next to the old one that nobody reads any more.
-- frees: now
-- fix: Check that the application reads only the newer family, then delete the shared keys of the older one:
--   rdbscope plan --rule duplicate-families --where "pattern = 'OLDER'" --out cleanup.plan (review it first).

-- Pairs come from the table duplicate_families (filled by index; see `rdbscope schema`). Each family of a pair is
-- a row: its keys whose id the other family has too. The older-looking side (more idle, plainer format, no
-- TTLs, or the smaller family, in that order of weight) has those keys' memory as savings; the newer side 0.
-- @affected
SELECT r.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(r.memory) AS memory,
       CASE WHEN d.older = 1 THEN SUM(r.memory) ELSE 0 END AS savings,
       d.detail AS detail,
       MIN(r.key) AS example
FROM (SELECT DISTINCT pattern, db, key, memory FROM duplicate_key_rows WHERE snapshot_id = :snapshot) r
JOIN (SELECT pattern, MAX(older) AS older,
             group_concat(printf('%s; %d ids shared with %s (%s)', CASE WHEN older = 1 THEN 'older side: delete these' ELSE 'newer side: keep' END,
                                 shared_ids, other, reason), ' | ') AS detail
      FROM duplicate_families WHERE snapshot_id = :snapshot GROUP BY pattern) d ON d.pattern = r.pattern
GROUP BY r.pattern, d.older, d.detail

-- The same from keys, for plan --rule (which lists the keys a rule selects from keys).
-- @scan
SELECT k.pattern AS pattern,
       COUNT(*) AS keys,
       SUM(k.memory) AS memory,
       CASE WHEN d.older = 1 THEN SUM(k.memory) ELSE 0 END AS savings,
       d.detail AS detail,
       MIN(k.key) AS example
FROM keys k
JOIN (SELECT pattern, MAX(older) AS older,
             group_concat(printf('%s; %d ids shared with %s (%s)', CASE WHEN older = 1 THEN 'older side: delete these' ELSE 'newer side: keep' END,
                                 shared_ids, other, reason), ' | ') AS detail
      FROM duplicate_families WHERE snapshot_id = :snapshot GROUP BY pattern) d ON d.pattern = k.pattern
WHERE k.snapshot_id = :snapshot
  AND k.rowid IN (SELECT key_row FROM duplicate_keys WHERE snapshot_id = :snapshot)
GROUP BY k.pattern
