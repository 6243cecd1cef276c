/** A deterministic stream of pseudo-random numbers (never Math.random). */
export interface SeededRandom {
  /** A float in [0, 1) with 53 random bits. */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max], both included. */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/**
 * A PRNG (mulberry32 pairs) seeded from the seed and a list of keys, so each purpose ("clientes", day 3, …) has
 * its own independent, reproducible stream.
 *
 * @example const random = createSeededRandom(42, 'veiculos'); random.int(10);
 */
export function createSeededRandom(seed: number, ...keys: readonly (string | number)[]): SeededRandom {
  let state = hashKeys(seed, keys);
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => ((next32() >>> 5) * 67_108_864 + (next32() >>> 6)) / 9_007_199_254_740_992;
  // Small ranges (almost every draw) take one 32-bit step; larger ones the full 53 bits.
  const int = (n: number): number =>
    n <= 0x100000 ? Math.floor((next32() / 4_294_967_296) * n) : Math.floor(next() * n);
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[int(items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
  };
}

/** FNV-1a over the seed and keys, then a murmur finaliser: a well-mixed 32-bit starting state. */
function hashKeys(seed: number, keys: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = [String(seed), ...keys.map(String)].join('\u0000');
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * A well-mixed unsigned 32-bit hash of (seed, salt, value): for values that two tables must agree on without
 * sharing a stream (a customer's block layout, a customer's home dealership).
 */
export function hash32(seed: number, salt: number, value: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35) ^ value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ value;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Distinct ids drawn uniformly from [1, max], in draw order. */
export function drawIds(random: SeededRandom, max: number, howMany: number): number[] {
  const ids = new Set<number>();
  const attempts = howMany * 3;
  for (let i = 0; i < attempts && ids.size < Math.min(howMany, max); i += 1) ids.add(1 + random.int(max));
  return [...ids];
}
