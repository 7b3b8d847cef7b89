/**
 * The weight of each field path of a JSON value: `$.cart`, `$.prefs.theme`, `$.items[*].text`, with the bytes it
 * takes in the compact JSON text (its key, colon and value; for `[*]`, its elements), and its type.
 */

/** Paths deeper than this count towards their parent only. */
export const MAX_PATH_DEPTH = 4;
/** Members of one object (or elements of one array) that are walked for paths; the rest count as bytes only. */
const MAX_MEMBERS = 256;

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export interface PathWeight {
  bytes: number;
  type: JsonType;
}

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'object' ? 'object' : t === 'string' ? 'string' : t === 'number' ? 'number' : 'boolean';
}

/** Bytes of JSON.stringify(v) (compact UTF-8), with the paths under `path` added to `out` (bytes summed). */
function walk(v: unknown, path: string, depth: number, out: Map<string, PathWeight>): number {
  if (v === null || typeof v !== 'object') return Buffer.byteLength(JSON.stringify(v) ?? 'null');
  const deeper = depth < MAX_PATH_DEPTH;
  if (Array.isArray(v)) {
    let size = 2 + Math.max(0, v.length - 1);
    const child = `${path}[*]`;
    for (let i = 0; i < v.length; i++) {
      const walkIt = deeper && i < MAX_MEMBERS;
      const s = walkIt ? walk(v[i], child, depth + 1, out) : Buffer.byteLength(JSON.stringify(v[i]) ?? 'null');
      size += s;
      if (walkIt) add(out, child, s, typeOf(v[i]));
    }
    return size;
  }
  const keys = Object.keys(v);
  let size = 2 + Math.max(0, keys.length - 1);
  keys.forEach((k, i) => {
    const value = (v as Record<string, unknown>)[k];
    const kb = Buffer.byteLength(JSON.stringify(k)) + 1;
    const walkIt = deeper && i < MAX_MEMBERS;
    const child = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
    const s = walkIt ? walk(value, child, depth + 1, out) : Buffer.byteLength(JSON.stringify(value) ?? 'null');
    size += kb + s;
    if (walkIt) add(out, child, kb + s, typeOf(value));
  });
  return size;
}

function add(out: Map<string, PathWeight>, path: string, bytes: number, type: JsonType): void {
  const e = out.get(path);
  if (e) e.bytes += bytes;
  else out.set(path, { bytes, type });
}

/** Path weights of a parsed JSON value, and its compact size in bytes. */
export function jsonPaths(value: unknown): { size: number; paths: Map<string, PathWeight> } {
  const paths = new Map<string, PathWeight>();
  const size = walk(value, '$', 0, paths);
  return { size, paths };
}

/**
 * A flat JSON object (members are strings, numbers, booleans or null): its members as the field/value pairs a
 * Redis hash would hold (strings as they are, the rest as their JSON text, null as ''); null otherwise.
 */
export function flatObjectPairs(value: unknown): Array<[string, string]> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object') return null;
    out.push([k, typeof v === 'string' ? v : v === null ? '' : String(v)]);
  }
  return out.length > 0 ? out : null;
}
