-- id: server-buffers
-- title: Replication backlog and client buffers take a large share of memory
-- severity: info
-- rationale: used_memory counts the replication backlog (repl-backlog-size, kept once a replica has connected)
--   and the clients' query and output buffers (replicas' and pub/sub subscribers' included). When they are a fifth
--   or more of it, the keys are not what fills the server, and maxmemory is reached sooner than the data says.
-- frees: rewrite
-- fix: Size repl-backlog-size to the writes of the longest replica disconnection you want to survive without a
--   full sync (not more); cap client output buffers (client-output-buffer-limit normal/pubsub/replica), find
--   slow consumers with CLIENT LIST (omem, qbuf) and fix or disconnect them.

-- Only with server facts that include MEMORY STATS. Shown when the backlog plus client buffers are at least 20 %
-- of used_memory and at least 1 MiB. Savings: none counted (the backlog's size is a setting to choose).
-- @affected
WITH f AS (
  SELECT MAX(CASE WHEN name = 'info.memory.used_memory' THEN CAST(value AS INTEGER) END) AS used,
         MAX(CASE WHEN name = 'memory_stats.replication.backlog' THEN CAST(value AS INTEGER) END) AS backlog,
         MAX(CASE WHEN name = 'memory_stats.clients.slaves' THEN CAST(value AS INTEGER) END) AS replicas,
         MAX(CASE WHEN name = 'memory_stats.clients.normal' THEN CAST(value AS INTEGER) END) AS normal
  FROM server_facts WHERE snapshot_id = :snapshot
), b AS (
  SELECT used, COALESCE(backlog, 0) AS backlog, COALESCE(replicas, 0) + COALESCE(normal, 0) AS clients,
         COALESCE(backlog, 0) + COALESCE(replicas, 0) + COALESCE(normal, 0) AS total
  FROM f WHERE backlog IS NOT NULL OR replicas IS NOT NULL OR normal IS NOT NULL
)
SELECT '(server)' AS pattern,
       0 AS keys,
       b.total AS memory,
       0 AS savings,
       printf('replication backlog %.1f MiB and client buffers %.1f MiB: %.1f %% of used_memory %.1f MiB',
              b.backlog / 1048576.0, b.clients / 1048576.0, 100.0 * b.total / b.used, b.used / 1048576.0) AS detail,
       NULL AS example
FROM b
WHERE b.used > 0 AND b.total >= 0.2 * b.used AND b.total >= 1048576
