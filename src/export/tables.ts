/**
 * The tables of a Parquet inventory: the inventory's own tables (src/inventory/schema.sql), with the same
 * columns, names and order, as DuckDB/Parquet types. Every table but snapshots is hive-partitioned by snapshot:
 * `DIR/<table>/snapshot_id=<id>/part-<n>.parquet`, with snapshot_id in the folder name and not in the files (the
 * layout Spark, Trino's Hive connector and DuckDB read as a partition column). snapshots is one file,
 * `DIR/snapshots.parquet`, written last: a snapshot whose row is not in it is not complete (with a copy in
 * `DIR/snapshots/part-00000.parquet` for engines that read a table from a folder).
 */

export type ColumnType = 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'BLOB';

export interface ExportTable {
  readonly name: string;
  /** Columns in schema order, snapshot_id left out (it is the partition). */
  readonly columns: ReadonlyArray<readonly [string, ColumnType]>;
  /** The order rows are written in (the inventory's own order). */
  readonly orderBy: string;
  /** The inventory table or view the rows come from (default: name), and a condition on them. */
  readonly source?: string;
  readonly where?: string;
  /** Rows are split into files of --rows-per-file (the tables that grow with the keys). */
  readonly split?: boolean;
}

const B = 'BIGINT' as const;
const D = 'DOUBLE' as const;
const V = 'VARCHAR' as const;
const X = 'BLOB' as const;

export const KEYS_TABLE: ExportTable = {
  name: 'keys',
  columns: [
    ['db', B], ['key', X], ['key_text', V], ['type', V], ['encoding', V], ['length', B], ['memory', B], ['rdb_bytes', B],
    ['expires_at', B], ['idle_s', B], ['freq', B], ['slot', B], ['largest_element', B], ['field_ttls', B],
    ['min_field_expires_at', B], ['pattern', V], ['compress_ratio', D], ['module', V], ['value_format', V],
    ['score_min', D], ['score_max', D], ['key_utf8', B],
  ],
  orderBy: 'rowid',
  split: true,
};

/**
 * The condition of the inventory's notable_keys view (schema.sql): the keys that are big or unusual, which the
 * row-level built-in rules read. Exported as a table of its own: a rule reads those rows, not every key.
 */
export const NOTABLE_KEYS_WHERE = "length > 1000 OR (type = 'zset' AND length >= 10) OR encoding IN ('hashtable', 'skiplist', 'linkedlist')";

export const NOTABLE_TABLE: ExportTable = { ...KEYS_TABLE, name: 'notable_keys', source: 'keys', where: NOTABLE_KEYS_WHERE };

/** The per-snapshot tables besides keys (the summaries the report and the built-in rules read, and the rest). */
export const SMALL_TABLES: readonly ExportTable[] = [
  NOTABLE_TABLE,
  {
    name: 'key_groups',
    columns: [
      ['db', B], ['type', V], ['encoding', V], ['pattern', V], ['ttl_class', B], ['memory_class', B], ['length_class', B],
      ['cold', B], ['json', B], ['short_string', B], ['keys', B], ['memory', B], ['rdb_bytes', B], ['key_bytes', B],
      ['length_sum', B], ['memory_max', B], ['length_max', B], ['key_min', X], ['first_row', B], ['idle_min', B],
      ['idle_max', B], ['idle_keys', B], ['freq_keys', B], ['expires_min', B], ['expires_max', B], ['as_hash_savings', D],
    ],
    orderBy: 'rowid',
  },
  { name: 'top_keys', columns: [['rank', B], ['db', B], ['key', X], ['memory', B], ['row', B]], orderBy: 'rank' },
  {
    name: 'hash_fields',
    columns: [['pattern', V], ['field', X], ['field_text', V], ['hashes', B], ['family_hashes', B]],
    orderBy: 'rowid',
  },
  {
    name: 'dbs',
    columns: [['db', B], ['keys', B], ['expires', B], ['memory', B], ['resize_keys', B], ['resize_expires', B]],
    orderBy: 'db',
  },
  {
    name: 'modules',
    columns: [['name', V], ['version', B], ['kind', V], ['keys', B], ['bytes', B]],
    orderBy: 'rowid',
  },
  { name: 'functions', columns: [['name', V], ['engine', V], ['code', V]], orderBy: 'rowid' },
  // Value shapes and duplicate families (the rules on them), and the server's facts (the rules on the server).
  {
    name: 'value_shapes',
    columns: [
      ['pattern', V], ['type', V], ['keys', B], ['sampled', B], ['sampled_values', B], ['values', B], ['bytes', B], ['memory', B],
      ['deflate_ratio', D], ['deflate_ratio_error', D], ['deflate_savings', B], ['deflate_savings_error', B], ['json_share', D],
      ['json_measured', B], ['msgpack_ratio', D], ['msgpack_ratio_error', D], ['msgpack_savings', B], ['msgpack_savings_error', B],
      ['msgpack_deflate_ratio', D], ['msgpack_deflate_ratio_error', D], ['msgpack_deflate_savings', B],
      ['msgpack_deflate_savings_error', B], ['flat_json_share', D], ['hash_savings', B], ['hash_savings_error', B],
      ['compressed_share', D], ['compressed_bytes', B],
    ],
    orderBy: 'rowid',
  },
  {
    name: 'value_formats',
    columns: [['pattern', V], ['format', V], ['share', D], ['share_error', D], ['bytes_share', D], ['values', B], ['bytes', B]],
    orderBy: 'rowid',
  },
  {
    name: 'value_fields',
    columns: [
      ['pattern', V], ['path', V], ['type', V], ['present', D], ['present_error', D], ['bytes', B], ['share_of_bytes', D],
      ['share_error', D], ['avg_bytes', D],
    ],
    orderBy: 'rowid',
  },
  {
    name: 'duplicate_families',
    columns: [
      ['pattern', V], ['other', V], ['shared_ids', B], ['keys', B], ['memory', B], ['other_keys', B], ['other_memory', B],
      ['older', B], ['reason', V],
    ],
    orderBy: 'rowid',
  },
  // The view's rows (duplicate_keys names keys by rowid, which a dataset does not have).
  {
    name: 'duplicate_key_rows',
    columns: [['pattern', V], ['other', V], ['db', B], ['key', X], ['memory', B]],
    orderBy: 'id',
  },
  {
    name: 'server_facts',
    columns: [['source', V], ['name', V], ['value', V], ['read_at', V], ['refused', V]],
    orderBy: 'rowid',
  },
];

export const SNAPSHOTS_TABLE: ExportTable = {
  name: 'snapshots',
  columns: [
    ['id', B], ['label', V], ['source', V], ['file_size', B], ['sha256', V], ['magic', V], ['rdb_version', B], ['writer', V],
    ['ctime', B], ['used_mem', B], ['repl_id', V], ['aux_json', V], ['memory_model', V], ['started_at', V],
    ['finished_at', V], ['status', V], ['error', V], ['key_count', B], ['memory_total', B], ['checksum', V],
    ['memory_verified', B], ['memory_allocator', V], ['summarized', B],
  ],
  orderBy: 'id',
};

/** Every partitioned table (keys first). */
export const PARTITIONED_TABLES: readonly ExportTable[] = [KEYS_TABLE, ...SMALL_TABLES];
