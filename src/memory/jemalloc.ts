/**
 * jemalloc 5.x size classes on x86_64 / aarch64 with 4 KiB pages. `zmalloc_size()` / `malloc_usable_size()` of an
 * allocation is the size class it was rounded up to, so every allocation in the memory models goes through the
 * {@link SizeClass} of the writing server's allocator.
 *
 * Two builds are in use, and a dump does not say which wrote it:
 * - `bundled`: Redis and Valkey built from source (official images, most vendors and managed services) configure
 *   their bundled jemalloc with `--with-lg-quantum=3` (deps/Makefile, every release since 6.0): an 8-byte quantum,
 *   so 8, 16, 24, 32, 40, 48, 56, 64, then 80, 96, 112, 128, 160, ...
 * - `system`: distribution packages (Debian's redis-server) link the system jemalloc, built with its default
 *   16-byte quantum on x86_64: 8, then multiples of 16 up to 128, then the same classes as above.
 * From 128 bytes on, both have four classes per doubling: (2^k, 2^(k+1)] is split into steps of 2^(k-2)
 * (160, 192, 224, 256, 320, ..., 14336, 16384, 20480, ...), also for large and huge sizes.
 */
export type AllocatorName = 'bundled' | 'system';
export const ALLOCATORS: readonly AllocatorName[] = ['bundled', 'system'];

/** Rounds a requested size up to the allocation jemalloc makes for it. */
export type SizeClass = (n: number) => number;

function largeClass(n: number): number {
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

/** 16-byte quantum (the system jemalloc on x86_64). */
export function sizeClassSystem(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~15;
  return largeClass(n);
}

/** 8-byte quantum (the jemalloc Redis and Valkey bundle, `--with-lg-quantum=3`). */
export function sizeClassBundled(n: number): number {
  if (n <= 64) return n <= 8 ? 8 : (n + 7) & ~7;
  if (n <= 128) return (n + 15) & ~15;
  return largeClass(n);
}

export function sizeClassOf(allocator: AllocatorName): SizeClass {
  return allocator === 'bundled' ? sizeClassBundled : sizeClassSystem;
}

/** Expected `zmalloc_size()` of an allocation whose requested size is `base + per * L`, with L >= 1 drawn from the
 * geometric level distribution P(L) = (1-p) p^(L-1), capped at `maxLevel` (zslRandomLevel: p = 1/4, max 32). */
export function expectedLevelAlloc(sc: SizeClass, base: number, per: number, p: number, maxLevel: number): number {
  let total = 0;
  let prob = 1 - p;
  for (let level = 1; level < maxLevel; level++) {
    total += prob * sc(base + per * level);
    prob *= p;
  }
  // All remaining mass sits at maxLevel.
  total += (prob / (1 - p)) * sc(base + per * maxLevel);
  return total;
}
