import { describe, expect, it } from 'vitest';
import { exactDecimalPattern } from './chunk-decode.js';

describe('exactDecimalPattern', () => {
  const fits = (storage: { width: number; scale: number }, value: string) =>
    new RegExp(`^(?:${exactDecimalPattern(storage)})$`).test(value);

  it('accepts the Postgres numeric text DECIMAL(38,18) holds exactly', () => {
    for (const value of [
      '0',
      '-0',
      '1.5',
      '12345678901234567890',
      '-12345678901234567890.123456789012345678',
      '0.000000000000000001',
      '1.5000000000000000000000000',
    ]) {
      expect(fits({ width: 38, scale: 18 }, value), value).toBe(true);
    }
  });

  it('refuses text that would be rounded or overflow', () => {
    for (const value of [
      '123456789012345678901',
      '0.0000000000000000001',
      '3.1415926535897932384626',
      'NaN',
      'Infinity',
      '1e5',
      '',
      '.5',
    ]) {
      expect(fits({ width: 38, scale: 18 }, value), value).toBe(false);
    }
  });

  it('handles scale 0 and integer digits 0', () => {
    expect(fits({ width: 38, scale: 0 }, '12.000')).toBe(true);
    expect(fits({ width: 38, scale: 0 }, '12.5')).toBe(false);
    expect(fits({ width: 38, scale: 38 }, '0.5')).toBe(true);
    expect(fits({ width: 38, scale: 38 }, '1.5')).toBe(false);
  });
});
