import type { Layout } from './tokenize.js';

/**
 * Folding of high-cardinality literal units into {*}.
 *
 * A context is a position in a key family: the generalised text before a unit (`product:` for the second unit
 * of `product:red-shoe:stock`). For each context the tracker counts the keys seen there and, per distinct
 * literal value (as a 30-bit hash), its keys. A context folds when a new value makes more than `threshold`
 * distinct values while the keys are still fewer than `ratio` x distinct: many values each used by few keys
 * (product names, user names, urls), as opposed to a few namespaces each holding many keys.
 * Once folded, later keys get {*} directly; families emitted before are renamed by foldings(). Values that
 * are sub-families keep their text: those already heavy at the fold (see fold()) and those with a placeholder
 * that turn out heavy later (see late()).
 *
 * The first unit of a key with several units (the namespace) has a context of its own that needs 4 times more
 * distinct values (200 by default) before it folds; a key made of one unit only (no separator) is counted in
 * the context ''.
 *
 * Memory bounds (whatever the number of keys):
 *  - at most `maxContexts` contexts are tracked; a context first seen after that is never folded; when a
 *    context folds, the contexts below its former values are freed;
 *  - a context stops tracking (and frees its counters) after `maxValues` distinct values, or after
 *    `ratio` x `maxValues` keys, without folding: it is frozen as "not folded" (its keys are dominated by a
 *    few big values, and it could no longer pass the ratio test);
 *  - a folded context keeps only its exempt values (at most a third of maxValues) and up to 65 counters of
 *    late sub-families;
 * With the defaults: at most 5,000 contexts x 64 counters (a few MB; the first-unit context 4 x 64).
 * The distinct families emitted, needed for the renames, are kept by index.ts, with a cap too.
 * Contexts are looked up by a 30-bit hash of their prefix, checked by a second 32-bit hash; on the rare
 * collision the second prefix is simply not tracked (never folded).
 */
export interface FoldLimits {
  threshold: number;
  ratio: number;
  maxContexts: number;
  maxValues: number;
  /** Distinct families remembered for foldings() (index.ts). */
  maxFamilies: number;
}

export const DEFAULT_FOLD_LIMITS: FoldLimits = {
  threshold: 50,
  ratio: 32,
  maxContexts: 5000,
  maxValues: 64,
  maxFamilies: 100_000,
};

const TRACKING = 0;
const FOLDED = 1;
const FROZEN = 2;

interface Context {
  prefix: string;
  /** Second hash of the prefix: rejects FNV collisions without comparing strings. */
  check: number;
  /** The context of first units of keys with several units: needs `topFactor` times more distinct values. */
  top: boolean;
  state: number;
  keys: number;
  /** Keys seen for each distinct value hash, while tracking. */
  values: Map<number, number> | null;
  /** For a folded context: the value hashes that keep their literal text (see fold()). */
  exempt: Set<number> | null;
  /** For a folded context: keys of each value with a placeholder seen after the fold (see late()); at most
   * LATE_MAX + 1 entries, LATE_MAX + 1 meaning that there were too many. */
  late: Map<number, number> | null;
}

const FNV_INIT = 0x811c9dc5;
const MASK = 0x3fffffff;
/** Sub-families with a placeholder allowed after a fold, and the keys they need (see late()). */
const LATE_MAX = 64;
const LATE_MIN = 3;
/** Key of the context of first units (outside the 30-bit hash range). */
const TOP = 0x40000000;
/** First units fold only past TOP_FACTOR x threshold distinct values: namespaces are many in big apps. */
const TOP_FACTOR = 4;

/** FNV-1a, continued from h over s[a, b). Used folded to 30 bits so that it stays a small integer in V8. */
function fnv(h: number, s: string, a: number, b: number): number {
  for (let i = a; i < b; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** A second, independent hash (murmur-style multiply) that tells apart prefixes whose FNV collides. */
function check(g: number, s: string, a: number, b: number): number {
  for (let i = a; i < b; i++) g = Math.imul(g ^ s.charCodeAt(i), 0x5bd1e995) ^ (g >>> 15);
  return g;
}
const CHECK_INIT = 0x9747b28c;

export interface FoldStats {
  contexts: number;
  trackedValues: number;
  folded: number;
}

export class FoldTracker {
  /** Contexts by 30-bit FNV hash of their prefix (the prefix text is kept for dropChildren()). */
  private readonly contexts = new Map<number, Context>();
  private trackedValues = 0;

  /** isLiteral: whether a generalised unit holds literal text (see family.ts). */
  constructor(
    private readonly limits: FoldLimits,
    private readonly isLiteral: (unit: string) => boolean,
  ) {}

  /**
   * The family with its folded units replaced by {*}; with `observe`, each literal unit is also counted in its
   * context (the text before it, separators included).
   */
  apply(L: Layout, observe: boolean): string {
    let out = L.family;
    let shift = 0;
    let h = FNV_INIT;
    let g = CHECK_INIT;
    let hashed = 0; // h and g cover out[0, hashed)
    const n = L.n;
    for (let i = 0; i < n; i++) {
      if (L.literal[i] === 0) continue;
      const a = L.starts[i] + shift;
      const b = L.ends[i] + shift;
      h = fnv(h, out, hashed, a);
      g = check(g, out, hashed, a);
      hashed = a;
      // the first unit of a key with several units (its namespace) has a context of its own
      const key = i === 0 && n > 1 ? TOP : h & MASK;
      let ctx = this.contexts.get(key);
      if (ctx !== undefined && ctx.check !== g) continue; // another prefix with the same FNV hash
      if (observe) {
        if (ctx === undefined) {
          if (this.contexts.size >= this.limits.maxContexts) continue;
          ctx = { prefix: out.slice(0, a), check: g, top: key === TOP, state: TRACKING, keys: 0, values: new Map(), exempt: null, late: null };
          this.contexts.set(key, ctx);
        }
        if (ctx.state === TRACKING) this.count(ctx, fnv(FNV_INIT, out, a, b) & MASK);
      }
      if (ctx === undefined || ctx.state !== FOLDED) continue;
      const v = fnv(FNV_INIT, out, a, b) & MASK;
      if (ctx.exempt !== null && ctx.exempt.has(v)) continue;
      const brace = out.indexOf('{', a);
      if (this.late(ctx, v, observe, brace >= 0 && brace < b)) continue;
      out = out.slice(0, a) + '{*}' + out.slice(b);
      shift += 3 - (b - a);
    }
    return out;
  }

  /**
   * Whether the value v of a folded context keeps its text because it is a late sub-family: a value that already
   * holds a placeholder (`zadd{int}`, `room-{int}`; in practice: a brace), first seen after the fold, is a family of its own rather than
   * one more name of the long tail. Such values are counted (up to LATE_MAX of them); while counting, keys
   * keep their text (`observe`); in the end (foldings()) a value keeps it only if it had LATE_MIN keys and the
   * context had no more than LATE_MAX such values (else they are a long tail too, and all fold).
   */
  private late(ctx: Context, v: number, observe: boolean, hasPlaceholder: boolean): boolean {
    if (!hasPlaceholder) return false;
    if (!observe) {
      const n = ctx.late?.get(v);
      return n !== undefined && n >= LATE_MIN && ctx.late!.size <= LATE_MAX;
    }
    const m = ctx.late ?? (ctx.late = new Map());
    const n = m.get(v);
    if (n === undefined && m.size > LATE_MAX) return false; // overflowed: a long tail of generalised values
    m.set(v, (n ?? 0) + 1);
    return m.size <= LATE_MAX;
  }

  /** Count one key with value hash v in a tracking context; fold or freeze it when the time has come. */
  private count(ctx: Context, v: number): void {
    const values = ctx.values as Map<number, number>;
    const factor = ctx.top ? TOP_FACTOR : 1;
    // past ratio x maxValues keys, a context can no longer pass the ratio test
    const keysCap = this.limits.ratio * this.limits.maxValues * factor;
    ctx.keys++;
    const seen = values.get(v);
    values.set(v, (seen ?? 0) + 1);
    if (seen !== undefined) {
      if (ctx.keys >= keysCap) this.close(ctx, FROZEN);
      return;
    }
    this.trackedValues++;
    const distinct = values.size;
    if (distinct > this.limits.threshold * factor && ctx.keys < this.limits.ratio * distinct) this.fold(ctx);
    else if (distinct >= this.limits.maxValues * factor || ctx.keys >= keysCap) this.close(ctx, FROZEN);
  }

  /**
   * Fold a context. Values already seen with at least 3 keys and 3 times the average keys per value are
   * exempt: they are sub-families (`socket.io#/chat#room-{int}#` among thousands of one-off literals), not the
   * long tail, and keep their text. A heavy value first seen after the fold is folded like the others.
   */
  private fold(ctx: Context): void {
    const values = ctx.values as Map<number, number>;
    const min = Math.max(3, (3 * ctx.keys) / values.size);
    for (const [v, n] of values) {
      if (n >= min) (ctx.exempt ??= new Set()).add(v);
    }
    this.close(ctx, FOLDED);
    this.dropChildren(ctx);
  }

  /**
   * Once `prefix` folds, contexts below one of its former literal values (`product:red-shoe:`) are never looked
   * up again (keys now go through `product:{*}:`): free their slots.
   */
  private dropChildren(ctx: Context): void {
    const prefix = ctx.prefix;
    if (prefix === '' && !ctx.top) return; // one-unit keys: no children
    for (const [k, c] of this.contexts) {
      const p = c.prefix;
      if (p.length <= prefix.length || !p.startsWith(prefix)) continue;
      const end = p.indexOf(prefix === '' ? p[p.length - 1] : prefix[prefix.length - 1], prefix.length);
      if (!this.isLiteral(p.slice(prefix.length, end))) continue;
      if (ctx.exempt !== null && ctx.exempt.has(fnv(FNV_INIT, p, prefix.length, end) & MASK)) continue;
      if (c.values !== null) this.trackedValues -= c.values.size;
      this.contexts.delete(k);
    }
  }

  private close(ctx: Context, state: number): void {
    this.trackedValues -= (ctx.values as Map<number, number>).size;
    ctx.values = null;
    ctx.state = state;
  }

  stats(): FoldStats {
    let folded = 0;
    for (const c of this.contexts.values()) if (c.state === FOLDED) folded++;
    return {
      contexts: this.contexts.size,
      trackedValues: this.trackedValues,
      folded,
    };
  }
}
