/** `rdbscope info`: a dump's header, aux fields, functions, modules and per-db key counts, from one pass. */
import type { DumpSummary, FunctionLibrary, KeyRecord, Magic, ModuleAux, RdbHandler } from '../decode/model.js';
import { DbTally, type DbCounts } from '../decode/db-tally.js';
import { base64, utf8OrNull } from './text.js';

export interface DumpInfo {
  magic: Magic | null;
  version: number | null;
  aux: Record<string, string>;
  functions: Array<{ name: string | null; engine: string | null; opcode: string; bytes: number }>;
  moduleAux: ModuleAux[];
  modules: Record<string, number>;
  slots: number;
  dbs: DbCounts[];
  types: Record<string, number>;
  summary: DumpSummary | null;
}

export class InfoCollector implements RdbHandler {
  readonly info: DumpInfo = { magic: null, version: null, aux: {}, functions: [], moduleAux: [], modules: {}, slots: 0, dbs: [], types: {}, summary: null };
  private readonly dbs = new DbTally();

  constructor(private readonly memoryOf: () => number) {}

  header(magic: Magic, version: number): void {
    this.info.magic = magic;
    this.info.version = version;
  }
  aux(name: string, value: Uint8Array): void {
    const text = utf8OrNull(value);
    this.info.aux[name] = text ?? `base64:${base64(value)}`;
  }
  resizeDb(db: number, keys: number, expires: number): void {
    this.dbs.resize(db, keys, expires);
  }
  functionLibrary(lib: FunctionLibrary): void {
    this.info.functions.push({ name: lib.name, engine: lib.engine, opcode: lib.opcode, bytes: lib.code.length });
  }
  moduleAux(aux: ModuleAux): void {
    this.info.moduleAux.push(aux);
  }
  slotInfo(): void {
    this.info.slots++;
  }
  endKey(rec: KeyRecord): void {
    this.dbs.add(rec.db, rec.expiresAtMs, this.memoryOf());
    this.info.types[rec.type] = (this.info.types[rec.type] ?? 0) + 1;
    if (rec.moduleName) this.info.modules[rec.moduleName] = (this.info.modules[rec.moduleName] ?? 0) + 1;
  }
  end(summary: DumpSummary): void {
    this.info.summary = summary;
    this.info.dbs = this.dbs.list();
  }
}
