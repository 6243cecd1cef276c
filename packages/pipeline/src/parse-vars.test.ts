import { describe, expect, it } from 'vitest';
import { parseVars } from './parse-vars.js';

describe('parseVars (--vars)', () => {
  it('reads a YAML or JSON mapping, as dbt does', () => {
    expect(parseVars('{start: 2024-01-01, debug: true, limit: 10}')).toEqual({
      start: '2024-01-01',
      debug: true,
      limit: 10,
    });
    expect(parseVars('{"region": "eu"}')).toEqual({ region: 'eu' });
    expect(parseVars('region: eu')).toEqual({ region: 'eu' });
    expect(parseVars('')).toEqual({});
  });

  it('refuses what is not a mapping, saying how to write one', () => {
    expect(() => parseVars('[1, 2]')).toThrow(
      "--vars must be a mapping of names to values, e.g. --vars '{key: value}' (got [1,2])",
    );
    expect(() => parseVars('{a: [')).toThrow(
      /^--vars is not YAML \(.*\); write a mapping, e\.g\. --vars '\{key: value\}'$/,
    );
  });
});
