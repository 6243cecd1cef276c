import { describe, expect, it } from 'vitest';
import { createSeededRandom, hash32 } from './seeded-random.js';

describe('createSeededRandom', () => {
  it('repeats the same stream for the same seed and keys, and differs otherwise', () => {
    const draw = (seed: number, key: string) => {
      const random = createSeededRandom(seed, key);
      return Array.from({ length: 20 }, () => random.int(1_000_000));
    };
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
  });

  it('stays inside its ranges and covers them', () => {
    const random = createSeededRandom(7, 'ranges');
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i += 1) {
      const small = random.int(10);
      expect(small).toBeGreaterThanOrEqual(0);
      expect(small).toBeLessThan(10);
      seen.add(small);
      const big = random.int(86_400_000_000);
      expect(Number.isInteger(big) && big >= 0 && big < 86_400_000_000).toBe(true);
      const between = random.between(3, 8);
      expect(between >= 3 && between <= 8).toBe(true);
      const f = random.next();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(seen.size).toBe(10);
    expect(() => random.pick([])).toThrow(RangeError);
  });
});

describe('hash32', () => {
  it('is a deterministic unsigned 32-bit value that spreads consecutive inputs', () => {
    expect(hash32(1, 2, 3)).toBe(hash32(1, 2, 3));
    expect(hash32(1, 2, 3)).not.toBe(hash32(1, 2, 4));
    const buckets = new Array<number>(20).fill(0);
    for (let v = 0; v < 20_000; v += 1) {
      const h = hash32(42, 1, v);
      expect(h >= 0 && h < 2 ** 32).toBe(true);
      buckets[h % 20] = (buckets[h % 20] ?? 0) + 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(850);
  });
});
