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
import { rowValue } from './row-value.js';

describe('row values', () => {
  // Date and time text and exact integers are shared by every engine: @sluice/warehouse format-timestamp.test.ts.
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
});
