/** RDB type bytes (rdb.h RDB_TYPE_*), with the version that introduced each. */
export const enum RdbType {
  String = 0,
  List = 1, // linked list, RDB 1
  Set = 2,
  Zset = 3, // text scores
  Hash = 4,
  Zset2 = 5, // binary scores, RDB 8 (Redis 4.0)
  ModulePreGA = 6, // Redis 4.0 release candidates: not parseable without the module
  Module2 = 7, // RDB 8
  HashZipmap = 9,
  ListZiplist = 10,
  SetIntset = 11,
  ZsetZiplist = 12,
  HashZiplist = 13,
  ListQuicklist = 14, // RDB 7 (Redis 3.2)
  StreamListpacks = 15, // RDB 9 (Redis 5.0)
  HashListpack = 16, // RDB 10 (Redis 7.0)
  ZsetListpack = 17,
  ListQuicklist2 = 18,
  StreamListpacks2 = 19,
  SetListpack = 20, // RDB 11 (Redis 7.2)
  StreamListpacks3 = 21,
  HashMetadataPreGA = 22, // Redis 7.4 RC; in a VALKEY file: Valkey 9 hash2 (field TTLs)
  HashListpackExPreGA = 23,
  HashMetadata = 24, // RDB 12 (Redis 7.4)
  HashListpackEx = 25,
  StreamListpacks4 = 26, // RDB 13 (Redis 8.6): stream with IDMP data
}

/** Opcodes (rdb.h RDB_OPCODE_*). */
export const enum Opcode {
  EnterpriseSlotNum = 121, // Redis Enterprise: one length, ignored (as librdb does)
  EnterpriseRamLru = 107, // Redis Enterprise: one length, ignored
  KeyMetaOrSlotImport = 243, // Redis 8.6 KEY_META; Valkey 9 SLOT_IMPORT
  SlotInfo = 244,
  Function2 = 245,
  FunctionPreGA = 246,
  ModuleAux = 247,
  Idle = 248,
  Freq = 249,
  Aux = 250,
  ResizeDb = 251,
  ExpireTimeMs = 252,
  ExpireTime = 253,
  SelectDb = 254,
  Eof = 255,
}

/** Module value sub-opcodes (RDB_MODULE_OPCODE_*). */
export const enum ModuleOpcode {
  Eof = 0,
  Sint = 1,
  Uint = 2,
  Float = 3,
  Double = 4,
  String = 5,
}

export const MAX_REDIS_VERSION = 13;
export const VALKEY_VERSIONS: readonly number[] = [80];

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module id (64-bit length) to its 9-character name and 10-bit encoding version (module.c moduleTypeNameByID). */
export function moduleNameFromId(id: bigint): { name: string; version: number } {
  // id = name (54 bits, 6 bits per char, first char highest) << 10 | version
  const version = Number(id & 1023n);
  let rest = id >> 10n;
  let name = '';
  for (let i = 0; i < 9; i++) {
    name = MODULE_CHARSET[Number(rest & 63n)]! + name;
    rest >>= 6n;
  }
  return { name, version };
}
