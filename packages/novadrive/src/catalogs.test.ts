import { describe, expect, it } from 'vitest';
import { BRAZIL_STATES } from './brazil-places.js';
import { BRAZILIAN_NAMES } from './brazilian-names.js';
import { fakeAddress, fakePersonName } from './fake-person.js';
import { createSeededRandom } from './seeded-random.js';
import { VEHICLE_MODELS, VEHICLE_TYPES } from './vehicle-catalog.js';

describe('catalogs', () => {
  it('has the 27 Brazilian states with distinct two-letter codes and real cities', () => {
    expect(BRAZIL_STATES).toHaveLength(27);
    expect(new Set(BRAZIL_STATES.map((s) => s.sigla)).size).toBe(27);
    for (const state of BRAZIL_STATES) {
      expect(state.sigla).toMatch(/^[A-Z]{2}$/);
      expect(state.cities.length).toBeGreaterThanOrEqual(5);
      expect(new Set(state.cities).size).toBe(state.cities.length);
    }
    expect(BRAZIL_STATES.find((s) => s.sigla === 'SP')?.cities).toContain('Campinas');
  });

  it('has 60 models whose types include the ones the models project tests for', () => {
    expect(VEHICLE_MODELS).toHaveLength(60);
    expect(new Set(VEHICLE_MODELS.map((m) => m.nome)).size).toBe(60);
    const types = VEHICLE_TYPES.map((t) => t.tipo);
    for (const tipo of ['SUV Compacta', 'SUV Premium Híbrida', 'Sedan', 'Picape']) expect(types).toContain(tipo);
    for (const model of VEHICLE_MODELS) expect(types).toContain(model.tipo);
  });

  it('holds no character that COPY text format would need to escape', () => {
    const words = [...Object.values(BRAZILIAN_NAMES).flat(), ...BRAZIL_STATES.flatMap((s) => [s.name, ...s.cities])];
    for (const word of words) expect(word).not.toMatch(/[\t\n\r\\]/);
  });
});

describe('fake people', () => {
  it('makes Brazilian-style names and addresses, some of them untidy on purpose', () => {
    const random = createSeededRandom(5, 'people');
    const names = Array.from({ length: 2000 }, () => fakePersonName(random));
    const addresses = Array.from({ length: 2000 }, () => fakeAddress(random));
    expect(names.some((n) => n === n.toLowerCase())).toBe(true);
    expect(names.filter((n) => n === n.toLowerCase()).length).toBeLessThan(200);
    expect(addresses.some((a) => a !== a.trim())).toBe(true);
    expect(addresses.filter((a) => a !== a.trim()).length).toBeLessThan(200);
    for (const address of addresses)
      expect(address.trim()).toMatch(/^(Rua|Avenida|Travessa|Alameda|Praça|Estrada) .+, \d+(, (Apto|Casa) \d+)? - .+$/);
  });
});
