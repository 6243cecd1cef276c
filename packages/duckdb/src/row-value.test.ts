import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
} from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { exactInteger, formatDate, formatTime, formatTimestamp, rowValue } from './row-value.js';

describe('row values', () => {
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

  it('turns DuckDB values into exact JavaScript values', () => {
    expect(rowValue(new DuckDBDecimalValue(150n, 10, 2))).toBe('1.50');
    expect(rowValue(new DuckDBTimestampTZValue(1_704_164_645_123_456n))).toBe('2024-01-02 03:04:05.123456+00');
    expect(rowValue(DuckDBTimestampValue.PosInf)).toBe('infinity');
    expect(rowValue(DuckDBTimestampTZValue.NegInf)).toBe('-infinity');
    expect(rowValue(DuckDBDateValue.PosInf)).toBe('infinity');
    expect(rowValue(new DuckDBDateValue(19_782))).toBe('2024-02-29');
    expect(rowValue(new DuckDBTimeValue(1_500_000n))).toBe('00:00:01.500000');
    expect(rowValue(new DuckDBIntervalValue(-1, 2, -3n))).toBe('-1 months 2 days -3 microseconds');
    expect(rowValue(new DuckDBListValue([1n, null, new DuckDBDecimalValue(-5n, 3, 1)]))).toEqual([1, null, '-0.5']);
  });

  it('gives 64-bit integers as numbers only when exact', () => {
    expect(exactInteger(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(exactInteger(9_007_199_254_740_992n)).toBe('9007199254740992');
    expect(exactInteger(-9_223_372_036_854_775_808n)).toBe('-9223372036854775808');
  });
});
