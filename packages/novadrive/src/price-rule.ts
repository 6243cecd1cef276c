import type { SeededRandom } from './seeded-random.js';

/** `"123.45"` → 12345, exactly. */
export function toCents(numeric: string): number {
  const [whole = '0', fraction = ''] = numeric.split('.');
  const sign = whole.startsWith('-') ? -1 : 1;
  return sign * (Math.abs(Number.parseInt(whole, 10)) * 100 + Number.parseInt(fraction.padEnd(2, '0').slice(0, 2), 10));
}

/** 12345 → `"123.45"`. */
export function fromCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/**
 * The price rule: a sale pays at most the list price and at least 95% of it. Draws a price paid for a vehicle listed
 * at `priceCents`, in whole cents (so rounding can never break the rule), different from `avoid` when given.
 */
export function pricePaid(random: SeededRandom, priceCents: number, avoid?: number): number {
  const lowest = Math.ceil((priceCents * 95) / 100);
  const paid = lowest + random.int(priceCents - lowest + 1);
  if (paid !== avoid) return paid;
  return paid > lowest ? paid - 1 : Math.min(priceCents, paid + 1);
}
