import { describe, expect, it } from 'vitest';
import { configKeyLineFinder, yamlErrorLines } from './config-key-line.js';

const TEXT = `name: shop
tables:
  vendas:
    strategy: upsert
    cursor:
      - { coalesce: [a, b] }
      - id
  estados: { strategy: full }
`;

describe('configKeyLineFinder', () => {
  const lineOf = configKeyLineFinder(TEXT);

  it('gives the line of a key, of a list item, and of a key in a flow map', () => {
    expect(lineOf(['tables', 'vendas'])).toBe(3);
    expect(lineOf(['tables', 'vendas', 'cursor'])).toBe(5);
    expect(lineOf(['tables', 'vendas', 'cursor', '1'])).toBe(7);
    expect(lineOf(['tables', 'estados', 'strategy'])).toBe(8);
  });

  it('falls back to the nearest existing parent, and to undefined', () => {
    expect(lineOf(['tables', 'vendas', 'include'])).toBe(3);
    expect(lineOf(['nope'])).toBeUndefined();
  });
});

describe('yamlErrorLines', () => {
  it('places a syntax error on its line', () => {
    const errors = yamlErrorLines('a: 1\nb: [1, 2\nc: 3\n');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(2);
    expect(errors[0]?.message).toMatch(/^YAML: /);
  });
});
