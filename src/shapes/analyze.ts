/**
 * From the sampled values of each key family to its shape: formats, JSON field weights, and the measured sizes
 * (deflate, MessagePack, MessagePack + deflate, a hash instead of a flat JSON object) extrapolated to the family.
 *
 * Estimates. Each sampled key stands for seen / sampled keys of its family, and each sampled element of a
 * collection for its key's elements / sampled elements. Every figure is a ratio of two sums over the sampled keys
 * (share = values of a format / values; deflate ratio = bytes / deflated bytes) or a sum scaled to the family
 * (savings), and carries its 95 % margin: 1.96 standard errors of the ratio (or total) estimator over the sampled
 * keys, with the finite-population correction (0 when every key was sampled).
 */
import type { AllocatorName } from '../memory/index.js';
import type { MemoryModelName } from '../memory/layout.js';
import { COMPRESSED_FORMATS, detectFormat, isJsonFormat, lastJson, type Format } from './detect.js';
import { flatObjectPairs, jsonPaths, type JsonType } from './json-paths.js';
import { deflatedSize, msgpackSizes } from './measure.js';
import { WhatIfMemory } from './memory.js';
import { sampledValues, type Reservoir, type SampledKey } from './sampler.js';

/** Paths tracked per family while aggregating, and paths stored (the heaviest). */
const PATHS_TRACKED = 512;
export const PATHS_STORED = 32;
const Z95 = 1.96;
/**
 * Measuring (deflate, MessagePack, JSON paths) costs about 0.1 s a MiB: the bytes measured are bounded, per family
 * (MEASURE_PER_FAMILY, less when there are many families: MEASURE_TOTAL over all) and per value (a deflate reads
 * at most DEFLATE_PREFIX bytes of it). Keys are measured in random order until the family's bytes are used up;
 * the others count towards formats only (a value over 4 KiB of theirs is judged by its first 4 KiB), and the
 * margins of the measured figures come from the keys measured.
 */
const MEASURE_PER_FAMILY = 1 << 20;
const MEASURE_MIN_PER_FAMILY = 64 * 1024;
const MEASURE_TOTAL = 24 << 20;
const DEFLATE_PREFIX = 16 * 1024;
/** fflate costs tens of microseconds a call even on small values: deflate calls are bounded the same way. */
const CALLS_PER_FAMILY = 1000;
const CALLS_MIN_PER_FAMILY = 64;
const CALLS_TOTAL = 12_000;
const FORMAT_PREFIX = 4096;

export interface ShapeRow {
  pattern: string;
  type: string;
  keys: number;
  sampled: number;
  sampledValues: number;
  values: number;
  bytes: number;
  memory: number;
  deflateRatio: number | null;
  deflateRatioError: number | null;
  deflateSavings: number;
  deflateSavingsError: number;
  jsonShare: number;
  jsonMeasured: number;
  msgpackRatio: number | null;
  msgpackRatioError: number | null;
  msgpackSavings: number | null;
  msgpackSavingsError: number | null;
  msgpackDeflateRatio: number | null;
  msgpackDeflateRatioError: number | null;
  msgpackDeflateSavings: number | null;
  msgpackDeflateSavingsError: number | null;
  flatJsonShare: number;
  hashSavings: number | null;
  hashSavingsError: number | null;
  compressedShare: number;
  compressedBytes: number;
}

export interface FormatRow {
  pattern: string;
  format: Format;
  share: number;
  shareError: number;
  bytesShare: number;
  values: number;
  bytes: number;
}

export interface FieldRow {
  pattern: string;
  path: string;
  type: JsonType;
  present: number;
  presentError: number;
  bytes: number;
  shareOfBytes: number;
  shareError: number;
  avgBytes: number;
}

export interface Shapes {
  families: ShapeRow[];
  formats: FormatRow[];
  fields: FieldRow[];
}

/** One sampled key's sums (each element scaled to the key's element count). */
type Unit = Map<string, number>;

function bump(u: Unit, name: string, v: number): void {
  u.set(name, (u.get(name) ?? 0) + v);
}

interface Est {
  value: number;
  error: number;
}

/** Units with their weights (keys each stands for) and the family's key count. */
class Sample {
  readonly units: Array<{ u: Unit; w: number }> = [];
  population = 0;
  /** Keys measured (deflate, MessagePack, paths): their share of the units scales their weights up. */
  measured = 0;

  private fpc(): number {
    const n = this.units.length;
    return this.population > 0 ? Math.max(0, 1 - n / this.population) : 0;
  }

  private sum(name: string): number {
    let s = 0;
    for (const { u, w } of this.units) s += w * (u.get(name) ?? 0);
    return s;
  }

  total(name: string): Est {
    const n = this.units.length;
    const value = this.sum(name);
    if (n < 2) return { value, error: 0 };
    const mean = value / this.population;
    let ss = 0;
    for (const { u, w } of this.units) {
      const d = (u.get(name) ?? 0) - mean;
      ss += (w * n / this.population) ** 2 * d * d;
    }
    const se = this.population * Math.sqrt(ss / (n - 1) / n * this.fpc());
    return { value, error: Z95 * se };
  }

  /** The keys that were measured, each standing for its share of the unmeasured ones too. */
  measuredOnly(): Sample {
    const m = new Sample();
    m.population = this.population;
    const picked = this.units.filter(({ u }) => u.get('measured') === 1);
    const up = picked.length > 0 ? this.units.length / picked.length : 0;
    for (const x of picked) m.units.push({ u: x.u, w: x.w * up });
    return m;
  }

  /** sum(y) / sum(x) and its margin (the ratio estimator's linearized variance). */
  ratio(y: string, x: string): Est | null {
    const sx = this.sum(x);
    if (sx <= 0) return null;
    const r = this.sum(y) / sx;
    const n = this.units.length;
    if (n < 2) return { value: r, error: 0 };
    let ss = 0;
    for (const { u, w } of this.units) {
      const d = (u.get(y) ?? 0) - r * (u.get(x) ?? 0);
      ss += w * w * d * d;
    }
    const se = Math.sqrt(ss * n / (n - 1) * this.fpc()) / sx;
    return { value: r, error: Z95 * se };
  }
}

function round(v: number, digits = 4): number {
  const m = 10 ** digits;
  return Math.round(v * m) / m;
}

/** x/y with the margin of y/x carried over (delta method): for ratios like original / compressed. */
function inverse(e: Est | null): Est | null {
  if (!e || e.value <= 0) return null;
  return { value: 1 / e.value, error: e.error / (e.value * e.value) };
}

interface PathAgg {
  type: Map<JsonType, number>;
}

/** Analyses each family's sampled keys. `rename`: pattern folds (a family folded into another is merged). */
export function analyzeShapes(
  reservoirs: ReadonlyMap<string, Reservoir>,
  folds: ReadonlyArray<readonly [string, string]>,
  model: MemoryModelName,
  allocator: AllocatorName,
): Shapes {
  const rename = new Map(folds);
  const merged = new Map<string, Array<{ r: Reservoir }>>();
  for (const [p, r] of reservoirs) {
    if (r.items.length === 0) continue;
    const to = rename.get(p) ?? p;
    const list = merged.get(to) ?? [];
    list.push({ r });
    merged.set(to, list);
  }
  const whatIf = new WhatIfMemory(model, allocator);
  const out: Shapes = { families: [], formats: [], fields: [] };
  const n = Math.max(1, merged.size);
  const budget = {
    bytes: Math.max(MEASURE_MIN_PER_FAMILY, Math.min(MEASURE_PER_FAMILY, MEASURE_TOTAL / n)),
    calls: Math.max(CALLS_MIN_PER_FAMILY, Math.min(CALLS_PER_FAMILY, Math.floor(CALLS_TOTAL / n))),
  };
  for (const [pattern, parts] of merged) {
    analyzeFamily(pattern, parts.map((p) => p.r), whatIf, out, budget);
    for (const { r } of parts) r.items = []; // its memory goes back while the next families are measured
  }
  out.families.sort((a, b) => b.memory - a.memory || (a.pattern < b.pattern ? -1 : 1));
  return out;
}

/** xorshift32, for the order keys are measured in (the same on every run of a dump). */
function shuffle<T>(a: T[]): T[] {
  let x = 0x2545f491;
  for (let i = a.length - 1; i > 0; i--) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function analyzeFamily(pattern: string, parts: Reservoir[], whatIf: WhatIfMemory, out: Shapes, budget: { bytes: number; calls: number }): void {
  const all = new Sample();
  const paths = new Map<string, PathAgg>();
  const types = new Map<string, number>();
  let nValues = 0;
  let jsonMeasured = 0;
  const keys: Array<{ k: SampledKey; w: number }> = [];
  for (const r of parts) {
    all.population += r.seen;
    const w = r.seen / r.items.length;
    for (const k of r.items) keys.push({ k, w });
  }
  let left = budget.bytes;
  let calls = budget.calls;
  for (const { k, w } of shuffle(keys)) {
    const measure = left > 0 && calls > 0;
    const u = analyzeKey(k, whatIf, paths, measure);
    if (measure) {
      let from = 0;
      for (const e of k.ends) { left -= Math.min(e - from, DEFLATE_PREFIX); from = e; }
      calls -= k.ends.length + (u.get('json_whole_count') ?? 0);
    }
    nValues += k.ends.length;
    jsonMeasured += u.get('json_whole_count') ?? 0;
    types.set(k.type, (types.get(k.type) ?? 0) + 1);
    all.units.push({ u, w });
  }
  const s = all.measuredOnly();
  const type = [...types.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const values = all.total('n').value;
  const bytes = all.total('bytes').value;
  const defl = inverse(s.ratio('defl', 'bytes'));
  const deflSav = s.total('sav_defl');
  const json = all.ratio('json_n', 'n');
  const mp = inverse(s.ratio('mp', 'json_bytes'));
  const mpd = inverse(s.ratio('mpd', 'json_bytes'));
  const hasJson = (s.total('json_bytes').value) > 0;
  const strings = type === 'string';
  const mpSav = hasJson && strings ? s.total('sav_mp') : null;
  const mpdSav = hasJson && strings ? s.total('sav_mpd') : null;
  const flat = s.ratio('flat_n', 'n');
  const hashSav = strings && (flat?.value ?? 0) > 0 ? s.total('sav_hash') : null;
  const compressed = all.ratio('compressed_n', 'n');
  out.families.push({
    pattern, type, keys: all.population, sampled: all.units.length, sampledValues: nValues, values: Math.round(values), bytes: Math.round(bytes),
    memory: Math.round(all.total('memory').value),
    deflateRatio: defl ? round(defl.value, 3) : null, deflateRatioError: defl ? round(defl.error, 3) : null,
    deflateSavings: Math.round(deflSav.value), deflateSavingsError: Math.round(deflSav.error),
    jsonShare: round(json?.value ?? 0), jsonMeasured,
    msgpackRatio: mp ? round(mp.value, 3) : null, msgpackRatioError: mp ? round(mp.error, 3) : null,
    msgpackSavings: mpSav ? Math.round(mpSav.value) : null, msgpackSavingsError: mpSav ? Math.round(mpSav.error) : null,
    msgpackDeflateRatio: mpd ? round(mpd.value, 3) : null, msgpackDeflateRatioError: mpd ? round(mpd.error, 3) : null,
    msgpackDeflateSavings: mpdSav ? Math.round(mpdSav.value) : null, msgpackDeflateSavingsError: mpdSav ? Math.round(mpdSav.error) : null,
    flatJsonShare: round(flat?.value ?? 0), hashSavings: hashSav ? Math.round(hashSav.value) : null,
    hashSavingsError: hashSav ? Math.round(hashSav.error) : null,
    compressedShare: round(compressed?.value ?? 0), compressedBytes: Math.round(all.total('compressed_bytes').value),
  });
  const formats = new Set<Format>();
  for (const { u } of all.units) for (const name of u.keys()) if (name.startsWith('fmt:')) formats.add(name.slice(4) as Format);
  for (const f of formats) {
    const share = all.ratio(`fmt:${f}`, 'n')!;
    const bshare = all.ratio(`fbytes:${f}`, 'bytes');
    out.formats.push({
      pattern, format: f, share: round(share.value), shareError: round(share.error), bytesShare: round(bshare?.value ?? 0),
      values: Math.round(all.total(`fmt:${f}`).value), bytes: Math.round(all.total(`fbytes:${f}`).value),
    });
  }
  out.formats.sort((a, b) => (a.pattern === b.pattern ? b.share - a.share : 0));
  if (!hasJson) return;
  const rows: FieldRow[] = [];
  for (const [path, agg] of paths) {
    const present = s.ratio(`pp:${path}`, 'json_whole')!;
    const share = s.ratio(`pb:${path}`, 'json_bytes')!;
    const total = s.total(`pb:${path}`).value;
    const presentKeys = s.total(`pp:${path}`).value;
    const t = [...agg.type.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    rows.push({
      pattern, path, type: t, present: round(present.value), presentError: round(present.error), bytes: Math.round(total),
      shareOfBytes: round(share.value), shareError: round(share.error), avgBytes: presentKeys > 0 ? round(total / presentKeys, 1) : 0,
    });
  }
  rows.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
  out.fields.push(...rows.slice(0, PATHS_STORED));
}

/** One sampled key's sums; JSON paths go to `paths` (types) and into the unit (present, bytes). */
function analyzeKey(k: SampledKey, whatIf: WhatIfMemory, paths: Map<string, PathAgg>, measure: boolean): Unit {
  const u: Unit = new Map();
  if (measure) u.set('measured', 1);
  const vals = sampledValues(k);
  const n = vals.length;
  const scale = n > 0 ? k.elements / n : 0;
  u.set('memory', k.memory);
  let deflatedTotal = 0;
  let bytesTotal = 0;
  let mpTotal = 0;
  let mpdTotal = 0;
  let whole = true;
  for (let i = 0; i < n; i++) {
    const b = vals[i]!;
    const len = k.lengths[i]!;
    const complete = b.length === len;
    if (!complete) whole = false;
    const f = measure || b.length <= FORMAT_PREFIX ? detectFormat(b, complete) : detectFormat(b.subarray(0, FORMAT_PREFIX), false);
    const json = lastJson();
    bump(u, 'n', scale);
    bump(u, 'bytes', scale * len);
    bump(u, `fmt:${f}`, scale);
    bump(u, `fbytes:${f}`, scale * len);
    if (isJsonFormat(f)) bump(u, 'json_n', scale);
    if (COMPRESSED_FORMATS.has(f)) {
      bump(u, 'compressed_n', scale);
      bump(u, 'compressed_bytes', scale * len);
    }
    if (!measure) continue;
    bytesTotal += len;
    // Compressed already: deflate gains nothing (counted as its own size, never as a saving).
    const head = b.length > DEFLATE_PREFIX ? b.subarray(0, DEFLATE_PREFIX) : b;
    const d = COMPRESSED_FORMATS.has(f) ? len : Math.min(len, Math.round((len * deflatedSize(head)) / Math.max(1, head.length)));
    deflatedTotal += d;
    bump(u, 'defl', scale * d);
    if (!isJsonFormat(f) || !complete || !json) continue;
    const value = json.value;
    bump(u, 'json_whole', scale);
    u.set('json_whole_count', (u.get('json_whole_count') ?? 0) + 1);
    bump(u, 'json_bytes', scale * len);
    const m = msgpackSizes(value);
    bump(u, 'mp', scale * m.msgpack);
    bump(u, 'mpd', scale * m.msgpackDeflate);
    mpTotal += m.msgpack;
    mpdTotal += m.msgpackDeflate;
    if (f !== 'json-scalar') {
      const { paths: ps } = jsonPaths(value);
      for (const [p, pw] of ps) {
        let agg = paths.get(p);
        if (!agg) {
          if (paths.size >= PATHS_TRACKED) continue;
          agg = { type: new Map() };
          paths.set(p, agg);
        }
        agg.type.set(pw.type, (agg.type.get(pw.type) ?? 0) + 1);
        bump(u, `pp:${p}`, scale);
        bump(u, `pb:${p}`, scale * pw.bytes);
      }
    }
    if (k.type === 'string') {
      const pairs = flatObjectPairs(value);
      if (pairs) {
        bump(u, 'flat_n', 1);
        u.set('sav_hash', k.memory - whatIf.hash(k.keyLen, pairs, k.ttl));
      }
    }
  }
  // Memory saved by writing the string value another way (the whole key's memory, as the server counts it).
  if (k.type === 'string' && n === 1) {
    u.set('sav_defl', Math.max(0, k.memory - whatIf.string(k.keyLen, Math.max(1, Math.round(deflatedTotal)), k.ttl)));
    if (whole && (u.get('json_bytes') ?? 0) > 0) {
      u.set('sav_mp', k.memory - whatIf.string(k.keyLen, mpTotal, k.ttl));
      u.set('sav_mpd', k.memory - whatIf.string(k.keyLen, mpdTotal, k.ttl));
    }
  } else if (n > 0) {
    // Collections: the element bytes deflate would save (payload, not counting per-element overheads).
    u.set('sav_defl', Math.max(0, scale * (bytesTotal - deflatedTotal)));
  }
  return u;
}
