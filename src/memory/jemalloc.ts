/**
 * jemalloc 5.x size classes on x86_64 / aarch64 with 4 KiB pages and a 16-byte quantum (what Redis and Valkey
 * bundle). `zmalloc_size()` / `malloc_usable_size()` of an allocation is the size class it was rounded up to, so every
 * allocation in the memory models goes through {@link sizeClass}.
 *
 * Classes (jemalloc's size_classes / sc.c with LG_QUANTUM=4, LG_NGROUP=2): 8, then multiples of 16 up to 128,
 * then four classes per doubling: (2^k, 2^(k+1)] is split into steps of 2^(k-2) — 160, 192, 224, 256, 320, ...,
 * 14336 (largest small class), 16384, 20480, ... The same 4-per-doubling rule continues for large and huge sizes.
 */
export function sizeClass(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~15;
  // k = floor(log2(n - 1)): the class group (2^k, 2^(k+1)] that holds n.
  const k = 31 - Math.clz32(n - 1);
  if (k < 31) {
    const step = 1 << (k - 2);
    return Math.ceil(n / step) * step;
  }
  // Beyond 2 GiB (no 32-bit shifts): same rule with floating point arithmetic.
  const kk = Math.floor(Math.log2(n - 1));
  const step = 2 ** (kk - 2);
  return Math.ceil(n / step) * step;
}

/** Expected `zmalloc_size()` of an allocation whose requested size is `base + per * L`, with L >= 1 drawn from the
 * geometric level distribution P(L) = (1-p) p^(L-1), capped at `maxLevel` (zslRandomLevel: p = 1/4, max 32). */
export function expectedLevelAlloc(base: number, per: number, p: number, maxLevel: number): number {
  let total = 0;
  let prob = 1 - p;
  for (let level = 1; level < maxLevel; level++) {
    total += prob * sizeClass(base + per * level);
    prob *= p;
  }
  // All remaining mass sits at maxLevel.
  total += (prob / (1 - p)) * sizeClass(base + per * maxLevel);
  return total;
}
