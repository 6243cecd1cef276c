/** A vehicle type NovaDrive sells and the band its list prices fall in (reais). */
export interface VehicleType {
  readonly tipo: string;
  readonly minPrice: number;
  readonly maxPrice: number;
}

/** The closed set of `veiculos.tipo` values (an accepted-values test can use it). */
export const VEHICLE_TYPES: readonly VehicleType[] = [
  { tipo: 'Hatch Compacto', minPrice: 30_000, maxPrice: 70_000 },
  { tipo: 'Hatch', minPrice: 65_000, maxPrice: 110_000 },
  { tipo: 'Sedan Compacto', minPrice: 75_000, maxPrice: 115_000 },
  { tipo: 'Sedan', minPrice: 110_000, maxPrice: 170_000 },
  { tipo: 'Sedan Premium', minPrice: 160_000, maxPrice: 200_000 },
  { tipo: 'SUV Compacta', minPrice: 100_000, maxPrice: 155_000 },
  { tipo: 'SUV Compacta Híbrida', minPrice: 140_000, maxPrice: 185_000 },
  { tipo: 'SUV Média', minPrice: 140_000, maxPrice: 195_000 },
  { tipo: 'SUV Premium', minPrice: 175_000, maxPrice: 200_000 },
  { tipo: 'SUV Premium Híbrida', minPrice: 185_000, maxPrice: 200_000 },
  { tipo: 'Picape Compacta', minPrice: 85_000, maxPrice: 135_000 },
  { tipo: 'Picape', minPrice: 150_000, maxPrice: 200_000 },
  { tipo: 'Elétrico', minPrice: 130_000, maxPrice: 200_000 },
  { tipo: 'Minivan', minPrice: 110_000, maxPrice: 160_000 },
];

/** Lowest and highest list price the generator and the simulator ever set (reais). */
export const LIST_PRICE_RANGE = { min: 30_990, max: 199_990 } as const;

/** The 60 fictional models of the catalog, with their type. A dataset uses 30 to 60 of them. */
export const VEHICLE_MODELS: readonly { readonly nome: string; readonly tipo: string }[] = [
  ...models('Hatch Compacto', [
    'Brisa 1.0',
    'Brisa 1.0 Turbo',
    'Colibri 1.0',
    'Colibri 1.3 Flex',
    'Sagui 1.0',
    'Sagui Sport 1.0',
  ]),
  ...models('Hatch', ['Tucano 1.6', 'Tucano 1.4 Turbo', 'Sabiá 1.0 TSI', 'Sabiá GTS 1.4', 'Arara 1.6 Flex']),
  ...models('Sedan Compacto', ['Jangada Sedan 1.6', 'Colibri Sedan 1.3', 'Sabiá Sedan 1.0 Turbo', 'Ipê 1.6']),
  ...models('Sedan', ['Ipê Sedan 2.0', 'Cerrado 2.0', 'Cerrado 1.5 Turbo', 'Aurora 2.0 Flex', 'Aurora XLi']),
  ...models('Sedan Premium', ['Aurora Hybrid 2.5', 'Imperial 2.0 Turbo', 'Imperial GT']),
  ...models('SUV Compacta', [
    'Pampa 1.0 Turbo',
    'Pampa 1.3 Turbo',
    'Caatinga 1.0 TSI',
    'Caatinga 1.4 TSI',
    'Jaguatirica 1.3',
    'Ouriço 1.6',
    'Ouriço Trail 1.6',
  ]),
  ...models('SUV Compacta Híbrida', ['Pampa Hybrid 1.5', 'Caatinga e-Hybrid', 'Ouriço HEV']),
  ...models('SUV Média', [
    'Serra 2.0 Turbo',
    'Serra Adventure',
    'Pantanal 2.0 Diesel',
    'Pantanal 7 Lugares',
    'Mantiqueira 1.5 Turbo',
    'Mantiqueira Limited',
  ]),
  ...models('SUV Premium', ['Onça 3.0 Diesel', 'Onça Black Edition', 'Araucária 2.0 Turbo', 'Araucária Platinum']),
  ...models('SUV Premium Híbrida', ['Onça Hybrid', 'Araucária Plug-in', 'Mantiqueira PHEV', 'Serra Hybrid Premium']),
  ...models('Picape Compacta', ['Capivara 1.3', 'Capivara 1.0 Turbo', 'Tatu 1.4 Flex', 'Tatu Sport']),
  ...models('Picape', [
    'Boiadeira 2.8 Diesel',
    'Boiadeira Cabine Dupla 4x4',
    'Sertão 2.0 Diesel',
    'Sertão Limited 4x4',
  ]),
  ...models('Elétrico', ['Arara EV', 'Beija-Flor Elétrico', 'Jacaré EV']),
  ...models('Minivan', ['Família 1.8', 'Família 7 Lugares']),
];

/** Round a price the way dealers list them (…,990.00) and keep it inside LIST_PRICE_RANGE; returns cents. */
export function listPriceCents(reais: number): number {
  const rounded = Math.round(reais / 1000) * 1000 - 10;
  return Math.min(LIST_PRICE_RANGE.max, Math.max(LIST_PRICE_RANGE.min, rounded)) * 100;
}

function models(tipo: string, names: readonly string[]): { nome: string; tipo: string }[] {
  return names.map((nome) => ({ nome, tipo }));
}
