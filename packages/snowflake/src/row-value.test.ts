import { describe, expect, it } from 'vitest';
import { rowValue, toRows } from './row-value.js';

const sfDate = (epochSeconds: number, nanos = 0) =>
  Object.assign(new Date(epochSeconds * 1000), { getEpochSeconds: () => epochSeconds, getNanoSeconds: () => nanos });

describe('rowValue', () => {
  it('gives the shapes the Warehouse contract pins', () => {
    expect(rowValue('42', { name: 'N', type: 'fixed', scale: 0 })).toBe(42);
    expect(rowValue('9223372036854775807', { name: 'N', type: 'fixed', scale: 0 })).toBe('9223372036854775807');
    expect(rowValue('1.50', { name: 'N', type: 'fixed', scale: 2 })).toBe('1.50');
    expect(rowValue('inf', { name: 'F', type: 'real', scale: 0 })).toBe(Infinity);
    expect(Object.is(rowValue('-0', { name: 'F', type: 'real', scale: 0 }), -0)).toBe(true);
    expect(rowValue('NaN', { name: 'F', type: 'real', scale: 0 })).toBeNaN();
    expect(rowValue(sfDate(-62135596800), { name: 'D', type: 'date', scale: 0 })).toBe('0001-01-01');
    expect(rowValue(sfDate(1704164645, 123456789), { name: 'T', type: 'timestamp_ntz', scale: 9 })).toBe(
      '2024-01-02 03:04:05.123456',
    );
    expect(rowValue(sfDate(-1, 999999000), { name: 'T', type: 'timestamp_tz', scale: 6 })).toBe(
      '1969-12-31 23:59:59.999999+00',
    );
    expect(rowValue('23:59:59.9999999', { name: 'T', type: 'time', scale: 9 })).toBe('23:59:59.999999');
    expect(rowValue('00:00:00', { name: 'T', type: 'time', scale: 0 })).toBe('00:00:00.000000');
    expect(rowValue(Buffer.from([0, 255]), { name: 'B', type: 'binary', scale: 0 })).toEqual(new Uint8Array([0, 255]));
    expect(rowValue(null, { name: 'X', type: 'text', scale: 0 })).toBeNull();
  });

  it('keys rows by lower-cased plain names, and numbers duplicate names', () => {
    const columns = [
      { name: 'ID', type: 'fixed', scale: 0 },
      { name: 'id', type: 'text', scale: 0 },
      { name: 'count(*)', type: 'fixed', scale: 0 },
    ];
    expect(toRows(columns, [['1', 'a', '3']])).toEqual([{ id: 1, 'id:1': 'a', 'count(*)': 3 }]);
  });
});
