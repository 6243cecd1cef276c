import { describe, expect, it } from 'vitest';
import { NovaDriveError } from './novadrive-error.js';
import { novaDriveSizes } from './novadrive-sizes.js';

describe('novaDriveSizes', () => {
  it('derives every table size from the number of sales', () => {
    const sizes = novaDriveSizes({ scale: 10_000, seed: 1 });
    expect(sizes.rows.vendas).toBe(10_000);
    expect(sizes.rows.estados).toBe(27);
    expect(sizes.rows.clientes).toBe(8240);
    expect(sizes.buyers).toBe(7004);
    expect(sizes.rows.concessionarias).toBe(10);
    expect(sizes.rows.veiculos).toBe(40);
    expect(sizes.rows.vendedores).toBe(sizes.salespeoplePerDealership.reduce((a, b) => a + b, 0));
    for (const staff of sizes.salespeoplePerDealership) expect(staff >= 3 && staff <= 8).toBe(true);
  });

  it('keeps 10–20% of customers without a sale and the vehicle catalog within 30–60, at every scale', () => {
    for (const scale of [100, 1_000, 123_457, 1_000_000, 50_000_000]) {
      const { rows, buyers } = novaDriveSizes({ scale, seed: 3 });
      const withoutSales = (rows.clientes - buyers) / rows.clientes;
      expect(withoutSales).toBeGreaterThanOrEqual(0.1);
      expect(withoutSales).toBeLessThanOrEqual(0.2);
      expect(buyers).toBeLessThanOrEqual(scale);
      expect(rows.veiculos >= 30 && rows.veiculos <= 60).toBe(true);
      expect(rows.concessionarias >= 8 && rows.concessionarias <= 2000).toBe(true);
    }
  });

  it('is deterministic per seed and rejects bad input', () => {
    expect(novaDriveSizes({ scale: 5000, seed: 9 })).toEqual(novaDriveSizes({ scale: 5000, seed: 9 }));
    expect(() => novaDriveSizes({ scale: 99, seed: 1 })).toThrow(NovaDriveError);
    expect(() => novaDriveSizes({ scale: 1000.5, seed: 1 })).toThrow(/scale/);
    expect(() => novaDriveSizes({ scale: 1000, seed: -1 })).toThrow(/seed/);
  });
});
