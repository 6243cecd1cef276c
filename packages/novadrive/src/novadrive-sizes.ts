import { BRAZIL_STATES } from './brazil-places.js';
import { NovaDriveError } from './novadrive-error.js';
import type { NovaDriveTable } from './novadrive-tables.js';
import { createSeededRandom } from './seeded-random.js';

/** Smallest and largest `scale` (number of sales) the generator accepts. */
export const NOVADRIVE_SCALE_RANGE = { min: 100, max: 50_000_000 } as const;

/** Customers come in blocks of 20 ids, 17 of which buy at least once: 15% of customers never buy. */
export const CUSTOMER_BLOCK = 20;
export const BUYERS_PER_BLOCK = 17;

/** Table sizes of a generated dataset, and how customers split into buyers and non-buyers. */
export interface NovaDriveSizes {
  readonly rows: Readonly<Record<NovaDriveTable, number>>;
  /** Customers with at least one sale (each has one first sale; the rest of the sales go to repeat buyers). */
  readonly buyers: number;
  /** Salespeople of each dealership, in dealership order (3 to 8 each). */
  readonly salespeoplePerDealership: readonly number[];
}

/**
 * The exact table sizes `generateNovaDrive` makes for a scale (number of sales) and seed:
 * customers ≈ 0.82 × scale (15% never buy), dealerships = scale / 1000 (8 to 2000), 3–8 salespeople each,
 * 30–60 vehicle models (more as scale grows), 27 states and every catalog city.
 *
 * @example novaDriveSizes({ scale: 10_000, seed: 1 }).rows.clientes // 8240
 */
export function novaDriveSizes(options: { readonly scale: number; readonly seed: number }): NovaDriveSizes {
  const scale = checkScale(options.scale);
  const seed = checkSeed(options.seed);
  const blocks = Math.ceil((scale * 0.7) / BUYERS_PER_BLOCK);
  const dealerships = Math.min(2000, Math.max(8, Math.ceil(scale / 1000)));
  const random = createSeededRandom(seed, 'vendedores', 'per-dealership');
  const salespeoplePerDealership = Array.from({ length: dealerships }, () => random.between(3, 8));
  const vehicles = Math.min(60, Math.max(30, 30 + 5 * Math.floor(Math.log10(scale / 100))));
  return {
    rows: {
      veiculos: vehicles,
      estados: BRAZIL_STATES.length,
      cidades: BRAZIL_STATES.reduce((sum, state) => sum + state.cities.length, 0),
      concessionarias: dealerships,
      vendedores: salespeoplePerDealership.reduce((sum, n) => sum + n, 0),
      clientes: blocks * CUSTOMER_BLOCK,
      vendas: scale,
    },
    buyers: blocks * BUYERS_PER_BLOCK,
    salespeoplePerDealership,
  };
}

/** Validate a scale: an integer within NOVADRIVE_SCALE_RANGE. */
export function checkScale(scale: number): number {
  if (!Number.isInteger(scale) || scale < NOVADRIVE_SCALE_RANGE.min || scale > NOVADRIVE_SCALE_RANGE.max) {
    throw new NovaDriveError(
      'INVALID_OPTIONS',
      `scale (the number of sales) must be an integer from ${NOVADRIVE_SCALE_RANGE.min} to ${NOVADRIVE_SCALE_RANGE.max}, got ${String(scale)}`,
    );
  }
  return scale;
}

/** Validate a seed: an integer from 0 to 2^31 - 1. */
export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 2_147_483_647) {
    throw new NovaDriveError('INVALID_OPTIONS', `seed must be an integer from 0 to 2147483647, got ${String(seed)}`);
  }
  return seed;
}
