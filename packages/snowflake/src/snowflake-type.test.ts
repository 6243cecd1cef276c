import type { LogicalType } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { showDataType } from './__tests__/vendas-fixture.js';
import {
  decimalStorage,
  logicalTypeFromSnowflake,
  snowflakeTypeName,
  storageFromShowColumns,
  storedDecimal,
  storesLogicalType,
  widenedStorage,
} from './snowflake-type.js';

const every: LogicalType[] = [
  { kind: 'smallint' },
  { kind: 'integer' },
  { kind: 'bigint' },
  { kind: 'decimal', precision: 10, scale: 2 },
  { kind: 'decimal' },
  { kind: 'decimal', precision: 50, scale: 20 },
  { kind: 'real' },
  { kind: 'double' },
  { kind: 'boolean' },
  { kind: 'text' },
  { kind: 'text', maxLength: 255 },
  { kind: 'char', length: 2 },
  { kind: 'date' },
  { kind: 'timestamp' },
  { kind: 'timestamptz' },
  { kind: 'time' },
  { kind: 'interval' },
  { kind: 'uuid' },
  { kind: 'json' },
  { kind: 'bytes' },
  { kind: 'array', element: { kind: 'integer' } },
  { kind: 'enum', name: 'mood', values: ['a'] },
];

describe('Snowflake types', () => {
  it('maps every logical type to a Snowflake type, and recognises it again in SHOW COLUMNS', () => {
    expect(every.map(snowflakeTypeName)).toEqual([
      'NUMBER(5,0)',
      'NUMBER(10,0)',
      'NUMBER(19,0)',
      'NUMBER(10,2)',
      'NUMBER(38,18)',
      'NUMBER(38,18)',
      'FLOAT',
      'FLOAT',
      'BOOLEAN',
      'VARCHAR(134217728)',
      'VARCHAR(255)',
      'VARCHAR(2)',
      'DATE',
      'TIMESTAMP_NTZ(6)',
      'TIMESTAMP_TZ(6)',
      'TIME(6)',
      'VARCHAR',
      'VARCHAR(36)',
      'VARIANT',
      'BINARY(67108864)',
      'ARRAY',
      'VARCHAR',
    ]);
    for (const type of every)
      expect(
        storesLogicalType(type, storageFromShowColumns(showDataType(snowflakeTypeName(type)))),
        JSON.stringify(type),
      ).toBe(true);
  });

  it('reads SHOW COLUMNS data types as storage, and guesses a logical type for columns Sluice did not record', () => {
    expect(storageFromShowColumns('{"type":"FIXED","precision":38,"scale":0,"nullable":true}')).toBe('NUMBER(38,0)');
    expect(storageFromShowColumns('{"type":"TEXT","length":16777216}')).toBe('VARCHAR');
    expect(storageFromShowColumns('{"type":"TIMESTAMP_LTZ","precision":0,"scale":9}')).toBe('TIMESTAMP_LTZ(9)');
    expect(logicalTypeFromSnowflake('NUMBER(38,0)')).toEqual({ kind: 'decimal', precision: 38, scale: 0 });
    expect(logicalTypeFromSnowflake('NUMBER(10,0)')).toEqual({ kind: 'integer' });
    expect(logicalTypeFromSnowflake('VARCHAR(20)')).toEqual({ kind: 'text', maxLength: 20 });
    expect(logicalTypeFromSnowflake('TIMESTAMP_LTZ(9)')).toEqual({ kind: 'timestamptz' });
    expect(logicalTypeFromSnowflake('VARIANT')).toEqual({ kind: 'json' });
    expect(logicalTypeFromSnowflake('GEOGRAPHY')).toEqual({ kind: 'text' });
  });

  it('stores decimals exactly where NUMBER can, else NUMBER(38,s≤18) checked value by value', () => {
    expect(decimalStorage({ kind: 'decimal', precision: 5, scale: -2 })).toEqual({
      precision: 7,
      scale: 0,
      checked: false,
    });
    expect(decimalStorage({ kind: 'decimal', precision: 38, scale: 38 })).toEqual({
      precision: 38,
      scale: 18,
      checked: true,
    });
    expect(storedDecimal({ kind: 'decimal' }, 'NUMBER(38,2)')).toEqual({ precision: 38, scale: 2, checked: true });
    expect(storedDecimal({ kind: 'decimal', precision: 10, scale: 2 }, 'NUMBER(12,2)')).toEqual({
      precision: 12,
      scale: 2,
      checked: false,
    });
  });

  it('widens in place only what Snowflake can: longer VARCHAR, more NUMBER precision with the same scale', () => {
    expect(widenedStorage('VARCHAR(10)', { kind: 'text', maxLength: 20 })).toBe('VARCHAR(20)');
    expect(widenedStorage('VARCHAR(10)', { kind: 'text' })).toBe('VARCHAR(134217728)');
    expect(widenedStorage('NUMBER(10,0)', { kind: 'bigint' })).toBe('NUMBER(19,0)');
    expect(widenedStorage('NUMBER(10,2)', { kind: 'decimal', precision: 12, scale: 2 })).toBe('NUMBER(12,2)');
    expect(widenedStorage('NUMBER(10,2)', { kind: 'decimal' })).toBe('NUMBER(38,2)');
    expect(widenedStorage('NUMBER(10,2)', { kind: 'decimal', precision: 12, scale: 4 })).toBeUndefined();
    expect(widenedStorage('NUMBER(10,0)', { kind: 'decimal', precision: 12, scale: 2 })).toBeUndefined();
    expect(widenedStorage('FLOAT', { kind: 'double' })).toBe('FLOAT');
    // VARCHAR without a length is 16 MB: unbounded text goes to Snowflake's largest, 128 MB, in place
    expect(widenedStorage('VARCHAR', { kind: 'text' })).toBe('VARCHAR(134217728)');
    expect(widenedStorage('VARCHAR(134217728)', { kind: 'text' })).toBe('VARCHAR(134217728)');
  });

  it('keeps json loaded as text in VARCHAR, and BINARY columns of the old default size', () => {
    expect(storesLogicalType({ kind: 'json' }, 'VARIANT')).toBe(true);
    expect(storesLogicalType({ kind: 'json' }, 'VARCHAR')).toBe(true);
    expect(storesLogicalType({ kind: 'json' }, 'NUMBER(10,0)')).toBe(false);
    expect(storesLogicalType({ kind: 'bytes' }, 'BINARY')).toBe(true);
    expect(storesLogicalType({ kind: 'bytes' }, 'BINARY(67108864)')).toBe(true);
    expect(storesLogicalType({ kind: 'text' }, 'VARCHAR')).toBe(false);
    expect(logicalTypeFromSnowflake('VARCHAR')).toEqual({ kind: 'text', maxLength: 16_777_216 });
    expect(logicalTypeFromSnowflake('VARCHAR(134217728)')).toEqual({ kind: 'text' });
    expect(storageFromShowColumns('{"type":"BINARY","length":67108864}')).toBe('BINARY(67108864)');
    expect(storageFromShowColumns('{"type":"BINARY","length":8388608}')).toBe('BINARY');
    expect(storageFromShowColumns('{"type":"TEXT","length":134217728}')).toBe('VARCHAR(134217728)');
  });
});
