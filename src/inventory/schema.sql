-- rdbscope inventory schema, version 1.
-- One SQLite file holds any number of snapshots (a backup a day, every shard of a cluster).
-- A snapshot is complete only when snapshots.status = 'complete'; readers and views look at complete ones only.

CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS snapshots (
  id             INTEGER PRIMARY KEY,
  label          TEXT,                 -- --label, or the file's base name
  source         TEXT NOT NULL,        -- the path given (or '-' for stdin)
  file_size      INTEGER,              -- bytes of the file as given (compressed size for .gz)
  sha256         TEXT,                 -- of the file as given, when read from a file
  magic          TEXT,                 -- 'REDIS' or 'VALKEY'
  rdb_version    INTEGER,
  writer         TEXT,                 -- e.g. 'redis 7.0.15', 'valkey 8.0.1', from redis-ver / valkey-ver
  ctime          INTEGER,              -- dump creation time (aux ctime), seconds since the epoch
  used_mem       INTEGER,              -- aux used-mem: the server's used_memory when it wrote the dump
  repl_id        TEXT,                 -- aux repl-id: the server's replication id
  aux_json       TEXT,                 -- every aux field as a JSON object (binary values base64 with a 'base64:' prefix)
  memory_model   TEXT,                 -- the memory model used to estimate keys.memory
  started_at     TEXT NOT NULL,        -- ISO 8601 UTC
  finished_at    TEXT,
  status         TEXT NOT NULL,        -- 'loading', 'complete', 'failed'
  error          TEXT,                 -- the one-line error when status = 'failed'
  key_count      INTEGER,              -- keys in the dump (set when complete)
  memory_total   INTEGER,              -- sum of keys.memory (set when complete)
  checksum       TEXT,                 -- 'ok', 'absent', 'disabled', 'skipped'
  memory_verified INTEGER,             -- 1 when memory_model was checked against that server line's real servers, 0 best effort
  memory_allocator TEXT,               -- the writing server's jemalloc build the model assumed: 'bundled' or 'system' (--allocator)
  summarized     INTEGER               -- 1 when key_groups and top_keys hold this snapshot's summaries
);

CREATE TABLE IF NOT EXISTS keys (
  snapshot_id         INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  db                  INTEGER NOT NULL,
  key                 BLOB NOT NULL,    -- the exact key bytes
  key_text            TEXT GENERATED ALWAYS AS (CASE WHEN key_utf8 THEN CAST(key AS TEXT) END) VIRTUAL,
                                        -- the key as text when it is valid UTF-8, else NULL (computed, not stored)
  type                TEXT NOT NULL,    -- string list set zset hash stream module
  encoding            TEXT NOT NULL,    -- int embstr raw listpack ziplist zipmap quicklist linkedlist intset hashtable skiplist stream <module>
  length              INTEGER NOT NULL, -- STRLEN or element count
  memory              INTEGER NOT NULL, -- estimated MEMORY USAGE bytes on the writing server
  rdb_bytes           INTEGER NOT NULL, -- bytes the key takes in the dump
  expires_at          INTEGER,          -- absolute expiry, ms since the epoch, NULL = no TTL
  idle_s              INTEGER,          -- LRU idle seconds (when the dump has them)
  freq                INTEGER,          -- LFU counter (when the dump has them)
  slot                INTEGER NOT NULL, -- cluster hash slot (CRC16 of the key or its {hash tag}, mod 16384)
  largest_element     INTEGER NOT NULL, -- bytes of the largest element
  field_ttls          INTEGER NOT NULL DEFAULT 0, -- hash fields with their own TTL
  min_field_expires_at INTEGER,         -- earliest hash field expiry, ms since the epoch
  pattern             TEXT,             -- inferred key family, e.g. 'session:{uuid}'
  compress_ratio      REAL,             -- measured deflate ratio (original/compressed) on a sample, for values > 1 KB
  module              TEXT,             -- module type name for module values
  value_format        TEXT,             -- 'json' for strings whose value (or its first 4 KiB) is JSON, else NULL
  score_min           REAL,             -- zsets: lowest score
  score_max           REAL,             -- zsets: highest score
  key_utf8            INTEGER NOT NULL DEFAULT 0 -- 1 when the key bytes are valid UTF-8 (then key_text is set)
);

-- The rows of a snapshot, in the order they were loaded: a query about one snapshot reads its rows only, in
-- table order, however many snapshots the inventory holds. Kept up to date during loads (each load appends to its
-- end, so a load costs the same however many snapshots the file holds). There is no index on key bytes: one
-- would have to be rebuilt over every snapshot's rows after each load (diff joins two snapshots by sorting them).
CREATE INDEX IF NOT EXISTS keys_by_snapshot ON keys(snapshot_id);

-- The keys the row-level built-in rules look at (collections of over 1,000 elements, strings of over 1,000 bytes,
-- sorted sets of 10 or more members, collections in their non-compact encodings), and the keys without a family:
-- partial indexes, kept up to date during loads (they hold few rows), so that a rule reading notable_keys of a
-- snapshot, or its keys without a pattern, reads those rows only, in table order.
CREATE INDEX IF NOT EXISTS keys_notable ON keys(snapshot_id)
  WHERE length > 1000 OR (type = 'zset' AND length >= 10) OR encoding IN ('hashtable', 'skiplist', 'linkedlist');
CREATE INDEX IF NOT EXISTS keys_unpatterned ON keys(snapshot_id) WHERE pattern IS NULL;
-- Two narrower ones for the rules that need few of those rows: the keys over 1,000 elements or bytes by type and
-- length (a rule saying `length > 1000` reads only the range it asks for: sets over 1,000 members, strings over
-- 100 KB), and the keys in a non-compact encoding, in table order. A rule's WHERE names the index's condition
-- as it stands for SQLite to use it.
CREATE INDEX IF NOT EXISTS keys_large ON keys(snapshot_id, type, length) WHERE length > 1000;
CREATE INDEX IF NOT EXISTS keys_encoded ON keys(snapshot_id) WHERE encoding IN ('hashtable', 'skiplist', 'linkedlist');

-- A snapshot's keys grouped by db, type, encoding, family and classes, computed while it is indexed: the report
-- and the built-in rules read these instead of every key. Each figure equals the one computed over keys.
CREATE TABLE IF NOT EXISTS key_groups (
  snapshot_id  INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  db           INTEGER NOT NULL,
  type         TEXT NOT NULL,
  encoding     TEXT NOT NULL,
  pattern      TEXT,                    -- the key family (NULL: keys without one)
  ttl_class    INTEGER NOT NULL,        -- 0 no expiry, 1 expired at dump time, 2 < 1 h, 3 1-24 h, 4 1-7 d, 5 > 7 d, 6 TTL but no ctime
  memory_class INTEGER NOT NULL,        -- memory < 64, 256, 1 K, 4 K, 16 K, 64 K, 256 K, 1 M, 4 M bytes: 0-8; else 9
  length_class INTEGER,                 -- collections: length < 8, 64, 128, 512, 1000, 5000, 10000, 100000, 1000000: 0-8, else 9; NULL for strings, modules, length 0
  cold         INTEGER NOT NULL,        -- 1: idle_s >= 30 days, or no idle_s and an LFU counter of 0
  json         INTEGER NOT NULL,        -- 1: value_format = 'json'
  short_string INTEGER NOT NULL,        -- 1: a string of at most 64 bytes
  keys         INTEGER NOT NULL,
  memory       INTEGER NOT NULL,        -- SUM(memory)
  rdb_bytes    INTEGER NOT NULL,        -- SUM(rdb_bytes)
  key_bytes    INTEGER NOT NULL,        -- SUM(length(key))
  length_sum   INTEGER NOT NULL,        -- SUM(length)
  memory_max   INTEGER NOT NULL,
  length_max   INTEGER NOT NULL,
  key_min      BLOB NOT NULL,           -- MIN(key): the group's example key
  first_row    INTEGER NOT NULL,        -- MIN(rowid) of its keys rows (their order in the dump)
  idle_min     INTEGER,
  idle_max     INTEGER,
  idle_keys    INTEGER NOT NULL,        -- COUNT(idle_s)
  freq_keys    INTEGER NOT NULL,        -- COUNT(freq)
  expires_min  INTEGER,
  expires_max  INTEGER,
  as_hash_savings REAL NOT NULL         -- strings: SUM(MAX(0, memory - ((length(key) + length + 8) * 1.25 + 2)))
);
CREATE INDEX IF NOT EXISTS key_groups_by_snapshot ON key_groups(snapshot_id);
-- A key's own row among them (listing a finding's keys with the group each belongs to, overlap.ts).
CREATE INDEX IF NOT EXISTS key_groups_by_family ON key_groups(snapshot_id, pattern, type, encoding);

-- The 1,000 largest keys of a snapshot by memory (ties: by key bytes, then db), rank 1 first.
CREATE TABLE IF NOT EXISTS top_keys (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  rank        INTEGER NOT NULL,
  db          INTEGER NOT NULL,
  key         BLOB NOT NULL,
  memory      INTEGER NOT NULL,
  row         INTEGER,                  -- its rowid in keys (NULL in summaries made before rdbscope recorded it)
  PRIMARY KEY (snapshot_id, rank)
);

CREATE TABLE IF NOT EXISTS functions (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  name        TEXT,
  engine      TEXT,
  code        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS modules (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  version     INTEGER,
  kind        TEXT NOT NULL,            -- 'aux' (module aux data) or 'value' (module-typed keys)
  keys        INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0
);

-- Field names shared by the hashes of a key family (hashes of up to 128 fields; at most 256 names a family).
CREATE TABLE IF NOT EXISTS hash_fields (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pattern     TEXT NOT NULL,
  field       BLOB NOT NULL,            -- the field name's bytes
  field_text  TEXT,                     -- the field name when it is UTF-8
  hashes      INTEGER NOT NULL,         -- hashes of the family that have this field
  family_hashes INTEGER NOT NULL        -- hashes of the family that were examined
);

-- Value shapes: what the values of each key family look like, from a sample taken while indexing (a reservoir of
-- up to 1,000 keys a family, --values-sample; 64 KiB a value, --values-sample-bytes; 32 MiB for all families, past
-- which the largest families keep fewer). Collections: up to 16 elements a sampled key (list items, set and
-- sorted-set members, hash field values). Figures are estimates for the whole family; each *_error is its 95 %
-- margin (0 when every key was sampled). Ratios are original / other size (2.0: half the bytes).
CREATE TABLE IF NOT EXISTS value_shapes (
  snapshot_id   INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pattern       TEXT NOT NULL,            -- the key family
  type          TEXT NOT NULL,            -- its (most common) type
  keys          INTEGER NOT NULL,         -- keys of the family
  sampled       INTEGER NOT NULL,         -- keys sampled
  sampled_values INTEGER NOT NULL,        -- values examined (a string: 1 a key; a collection: its sampled elements)
  "values"      INTEGER NOT NULL,         -- values of the family (strings: keys; collections: elements), estimated
  bytes         INTEGER NOT NULL,         -- bytes of those values, estimated
  memory        INTEGER NOT NULL,         -- memory of the family's keys, estimated from the sample
  deflate_ratio REAL,                     -- bytes / bytes deflated (fflate level 6); compressed values count as 1
  deflate_ratio_error REAL,
  deflate_savings INTEGER NOT NULL,       -- strings: memory saved if the values were stored deflated (the memory model's
                                          -- figure for the shorter string); collections: element bytes saved
  deflate_savings_error INTEGER NOT NULL,
  json_share    REAL NOT NULL,            -- share of values that are JSON (object, array or scalar)
  json_measured INTEGER NOT NULL,         -- sampled JSON values measured whole (a value cut at the sample size is not)
  msgpack_ratio REAL,                     -- JSON values: bytes / bytes as MessagePack
  msgpack_ratio_error REAL,
  msgpack_savings INTEGER,                -- JSON strings: memory saved as MessagePack
  msgpack_savings_error INTEGER,
  msgpack_deflate_ratio REAL,             -- JSON values: bytes / bytes as MessagePack then deflated
  msgpack_deflate_ratio_error REAL,
  msgpack_deflate_savings INTEGER,        -- JSON strings: memory saved as MessagePack + deflate
  msgpack_deflate_savings_error INTEGER,
  flat_json_share REAL NOT NULL,          -- share of values that are flat JSON objects (no nested object or array)
  hash_savings  INTEGER,                  -- flat JSON object strings: memory saved as Redis hashes (listpack or hash
                                          -- table, as HSET would make them, from the memory model); negative: costs more
  hash_savings_error INTEGER,
  compressed_share REAL NOT NULL,         -- share of values already compressed (gzip, zlib, zstd, lz4, snappy)
  compressed_bytes INTEGER NOT NULL       -- bytes of those values, estimated
);

-- Formats of a family's values: json-object json-array json-scalar msgpack php-serialize pickle java-serialized
-- protobuf gzip zlib zstd lz4 snappy base64 int float uuid hex html xml text binary empty (from the bytes only).
CREATE TABLE IF NOT EXISTS value_formats (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pattern     TEXT NOT NULL,
  format      TEXT NOT NULL,
  share       REAL NOT NULL,              -- share of the family's values
  share_error REAL NOT NULL,              -- its 95 % margin
  bytes_share REAL NOT NULL,              -- share of the family's value bytes
  "values"    INTEGER NOT NULL,           -- values of this format, estimated
  bytes       INTEGER NOT NULL            -- their bytes, estimated
);

-- JSON field paths of a family ($.cart, $.prefs.theme, $.items[*].text; 4 levels deep), the 32 heaviest, from its
-- sampled JSON values measured whole. Bytes are those of the compact JSON text: the member's key, colon and value.
CREATE TABLE IF NOT EXISTS value_fields (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pattern     TEXT NOT NULL,
  path        TEXT NOT NULL,
  type        TEXT NOT NULL,              -- its most common JSON type: object array string number boolean null
  present     REAL NOT NULL,              -- share of the family's JSON values that have it
  present_error REAL NOT NULL,
  bytes       INTEGER NOT NULL,           -- bytes it takes across the family, estimated
  share_of_bytes REAL NOT NULL,           -- share of the family's JSON bytes
  share_error REAL NOT NULL,
  avg_bytes   REAL NOT NULL               -- bytes per value that has it
);

-- Pairs of key families that hold the same ids (sess:{uuid} and session:{uuid} with the same uuids,
-- timeline:{int} and timeline:c:{int} for the same users): families of one placeholder with related names (a
-- shared word stem; for ids that are not random, nothing else but markers like c, z, gz, v2, json, old), of which
-- at least half the smaller one's ids are in the other. One row per family and partner (each pair twice).
CREATE TABLE IF NOT EXISTS duplicate_families (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pattern     TEXT NOT NULL,              -- the family
  other       TEXT NOT NULL,              -- the family holding the same ids
  shared_ids  INTEGER NOT NULL,           -- ids both have
  keys        INTEGER NOT NULL,           -- keys of `pattern` whose id `other` has too
  memory      INTEGER NOT NULL,           -- their memory
  other_keys  INTEGER NOT NULL,           -- keys of `other` whose id `pattern` has too
  other_memory INTEGER NOT NULL,
  older       INTEGER NOT NULL,           -- 1 when `pattern` is the older-looking side (idle time, format, TTLs, size)
  reason      TEXT NOT NULL               -- why that side looks older
);

-- The keys of duplicate_families: each shared key (its rowid in keys) with the partner family it shares its id with.
CREATE TABLE IF NOT EXISTS duplicate_keys (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  pattern     TEXT NOT NULL,
  other       TEXT NOT NULL,
  key_row     INTEGER NOT NULL            -- its keys.rowid
);
CREATE INDEX IF NOT EXISTS duplicate_keys_by_side ON duplicate_keys(snapshot_id, pattern, other);
-- The same keys with their db, name and memory (what the duplicate-families rule reads; a Parquet dataset holds
-- these rows as a table, having no rowids to join on).
CREATE VIEW IF NOT EXISTS duplicate_key_rows AS
  SELECT d.rowid AS id, d.snapshot_id, d.pattern, d.other, k.db, k.key, k.memory
  FROM duplicate_keys d JOIN keys k ON k.rowid = d.key_row;

CREATE TABLE IF NOT EXISTS dbs (
  snapshot_id    INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  db             INTEGER NOT NULL,
  keys           INTEGER NOT NULL,
  expires        INTEGER NOT NULL,      -- keys with a TTL
  memory         INTEGER NOT NULL,
  resize_keys    INTEGER,               -- RESIZEDB hint, when present
  resize_expires INTEGER,
  PRIMARY KEY (snapshot_id, db)
);

-- Views over complete snapshots only.
CREATE VIEW IF NOT EXISTS complete_keys AS
  SELECT k.* FROM keys k JOIN snapshots s ON s.id = k.snapshot_id WHERE s.status = 'complete';

CREATE VIEW IF NOT EXISTS memory_by_db AS
  SELECT snapshot_id, db, COUNT(*) AS keys, SUM(memory) AS memory FROM complete_keys GROUP BY snapshot_id, db;

CREATE VIEW IF NOT EXISTS memory_by_type AS
  SELECT snapshot_id, type, COUNT(*) AS keys, SUM(memory) AS memory FROM complete_keys GROUP BY snapshot_id, type;

CREATE VIEW IF NOT EXISTS memory_by_encoding AS
  SELECT snapshot_id, type, encoding, COUNT(*) AS keys, SUM(memory) AS memory
  FROM complete_keys GROUP BY snapshot_id, type, encoding;

CREATE VIEW IF NOT EXISTS memory_by_pattern AS
  SELECT snapshot_id, pattern, COUNT(*) AS keys, SUM(memory) AS memory,
         SUM(expires_at IS NOT NULL) * 1.0 / COUNT(*) AS ttl_share
  FROM complete_keys GROUP BY snapshot_id, pattern;

-- The rows of keys_notable (see above): what the row-level built-in rules read.
CREATE VIEW IF NOT EXISTS notable_keys AS
  SELECT * FROM keys
  WHERE length > 1000 OR (type = 'zset' AND length >= 10) OR encoding IN ('hashtable', 'skiplist', 'linkedlist');

CREATE VIEW IF NOT EXISTS keys_without_ttl AS
  SELECT * FROM complete_keys WHERE expires_at IS NULL;

CREATE VIEW IF NOT EXISTS biggest_keys AS
  SELECT * FROM complete_keys ORDER BY memory DESC;

-- What the server itself said when the snapshot was pulled (index --url) or later (rdbscope facts), read-only:
-- INFO fields as 'info.<section>.<field>' (server, memory, keyspace, persistence, replication, stats, clients),
-- MEMORY STATS as 'memory_stats.<name>' (nested maps joined with dots: 'memory_stats.db.0.overhead.hashtable.main'),
-- CONFIG GET as 'config.<parameter>' (encoding thresholds, maxmemory, maxmemory-policy, list-compress-depth,
-- activedefrag, ...), and the calibration samples as 'calibration.<name>'. A command the server refused is one row
-- named after the command ('CONFIG GET maxmemory') with value NULL and the server's error in refused.
CREATE TABLE IF NOT EXISTS server_facts (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  source      TEXT NOT NULL,            -- the server read: redis://host:port (never a password)
  name        TEXT NOT NULL,
  value       TEXT,                     -- as the server gave it; NULL when refused
  read_at     TEXT NOT NULL,            -- ISO 8601 UTC, when it was read
  refused     TEXT                      -- the server's error when it refused the command, else NULL
);
CREATE INDEX IF NOT EXISTS server_facts_by_snapshot ON server_facts(snapshot_id);
