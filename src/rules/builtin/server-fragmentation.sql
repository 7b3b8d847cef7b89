-- id: server-fragmentation
-- title: The server's memory is fragmented (RSS well above used memory)
-- severity: warning
-- rationale: mem_fragmentation_ratio is the resident memory (RSS) over used_memory. Above 1.5, a third or more of
--   what the process holds in RAM is allocator pages left part-used by deleted or resized keys: memory the
--   server counts as free but the machine cannot use, and that maxmemory does not see.
-- frees: rewrite
-- fix: Turn on active defragmentation (CONFIG SET activedefrag yes, with jemalloc), or run MEMORY PURGE for a
--   one-off release of dirty pages; otherwise restart the server, or fail over to a freshly synced replica, in a
--   maintenance window (a reload lays the data out compactly).

-- Only with server facts (index --url, rdbscope facts). Small servers are left out: below 8 MiB of RSS over
-- used_memory the ratio says little (a near-empty server has a high one). Savings: none counted in the dataset;
-- the detail gives the RSS in excess of used_memory.
-- @affected
WITH f AS (
  SELECT MAX(CASE WHEN name = 'info.memory.mem_fragmentation_ratio' THEN CAST(value AS REAL) END) AS ratio,
         MAX(CASE WHEN name = 'info.memory.used_memory' THEN CAST(value AS INTEGER) END) AS used,
         MAX(CASE WHEN name = 'info.memory.used_memory_rss' THEN CAST(value AS INTEGER) END) AS rss,
         MAX(CASE WHEN name = 'config.activedefrag' THEN value END) AS defrag,
         MAX(CASE WHEN name = 'info.memory.mem_allocator' THEN value END) AS allocator
  FROM server_facts WHERE snapshot_id = :snapshot
)
SELECT '(server)' AS pattern,
       (SELECT COALESCE(key_count, 0) FROM snapshots WHERE id = :snapshot) AS keys,
       f.used AS memory,
       0 AS savings,
       printf('mem_fragmentation_ratio %.2f: RSS %.1f MiB for %.1f MiB used (%.1f MiB held but unused); allocator %s, activedefrag %s',
              f.ratio, f.rss / 1048576.0, f.used / 1048576.0, (f.rss - f.used) / 1048576.0,
              COALESCE(f.allocator, '?'), COALESCE(f.defrag, 'unknown (CONFIG refused)')) AS detail,
       NULL AS example
FROM f
WHERE f.ratio > 1.5 AND f.rss - f.used >= 8388608
