import { describe, expect, it } from 'vitest';
import { fromCents, pricePaid, toCents } from './price-rule.js';
import { createSeededRandom } from './seeded-random.js';
import { LIST_PRICE_RANGE, listPriceCents } from './vehicle-catalog.js';

describe('prices', () => {
  it('rounds list prices to …990 inside the list-price range', () => {
    for (const reais of [0, 29_000, 30_000, 89_512.34, 199_999, 1_000_000]) {
      const cents = listPriceCents(reais);
      expect(cents % 100_000).toBe(99_000);
      expect(cents).toBeGreaterThanOrEqual(LIST_PRICE_RANGE.min * 100);
      expect(cents).toBeLessThanOrEqual(LIST_PRICE_RANGE.max * 100);
    }
  });

  it('draws a price paid between 95% and 100% of the list price, in whole cents', () => {
    const random = createSeededRandom(1, 'prices');
    for (let i = 0; i < 20_000; i += 1) {
      const list = 3_099_000 + random.int(17_000_000);
      const paid = pricePaid(random, list, i % 2 === 0 ? list : undefined);
      expect(Number.isInteger(paid)).toBe(true);
      expect(paid * 100).toBeGreaterThanOrEqual(list * 95);
      expect(paid).toBeLessThanOrEqual(list);
      if (i % 2 === 0) expect(paid).not.toBe(list);
    }
  });

  it('converts numeric text to cents and back exactly', () => {
    for (const text of ['0.00', '0.05', '12.30', '199990.00', '189990.99']) expect(fromCents(toCents(text))).toBe(text);
    expect(toCents('12.3')).toBe(1230);
    expect(toCents('7')).toBe(700);
  });
});
