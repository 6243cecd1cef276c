import { describe, expect, it } from 'vitest';
import { exactInteger } from './exact-integer.js';
import { formatDate, formatTime, formatTimestamp } from './format-timestamp.js';

describe('row value text', () => {
  it('formats timestamps with six fraction digits, before 1970 and before year 1 too', () => {
    expect(formatTimestamp(0n)).toBe('1970-01-01 00:00:00.000000');
    expect(formatTimestamp(1_704_164_645_123_456n)).toBe('2024-01-02 03:04:05.123456');
    expect(formatTimestamp(-1n)).toBe('1969-12-31 23:59:59.999999');
    expect(formatTimestamp(253_402_300_799_999_999n)).toBe('9999-12-31 23:59:59.999999');
    expect(formatTimestamp(-62_135_596_800_000_000n)).toBe('0001-01-01 00:00:00.000000');
    expect(formatTimestamp(-62_135_596_800_000_001n)).toBe('0001-12-31 23:59:59.999999 BC');
    expect(formatDate(-735_160)).toBe('0044-03-15 BC');
    expect(formatTime(86_400_000_000n)).toBe('24:00:00.000000');
  });

  it('gives 64-bit integers as numbers only when exact, from bigints and from text', () => {
    expect(exactInteger(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(exactInteger(9_007_199_254_740_992n)).toBe('9007199254740992');
    expect(exactInteger(-9_223_372_036_854_775_808n)).toBe('-9223372036854775808');
    expect(exactInteger('42')).toBe(42);
    expect(exactInteger('9223372036854775807')).toBe('9223372036854775807');
  });
});
