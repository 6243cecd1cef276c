import { describe, expect, it } from 'vitest';
import { arrayElement, logicalTypeFromDuckDb, normalizeTypeName, storesLogicalType } from './duckdb-type.js';

describe('logicalTypeFromDuckDb', () => {
  it.each([
    ['INTEGER', { kind: 'integer' }],
    ['TINYINT', { kind: 'smallint' }],
    ['UINTEGER', { kind: 'bigint' }],
    ['UBIGINT', { kind: 'decimal', precision: 20, scale: 0 }],
    ['HUGEINT', { kind: 'decimal', precision: 39, scale: 0 }],
    ['DECIMAL(10,2)', { kind: 'decimal', precision: 10, scale: 2 }],
    ['FLOAT', { kind: 'real' }],
    ['DOUBLE', { kind: 'double' }],
    ['VARCHAR', { kind: 'text' }],
    ['JSON', { kind: 'json' }],
    ['UUID', { kind: 'uuid' }],
    ['BLOB', { kind: 'bytes' }],
    ['DATE', { kind: 'date' }],
    ['TIMESTAMP', { kind: 'timestamp' }],
    ['TIMESTAMP_NS', { kind: 'timestamp' }],
    ['TIMESTAMP WITH TIME ZONE', { kind: 'timestamptz' }],
    ['TIME', { kind: 'time' }],
    ['INTERVAL', { kind: 'interval' }],
    ['INTEGER[]', { kind: 'array', element: { kind: 'integer' } }],
    ['DECIMAL(12,4)[]', { kind: 'array', element: { kind: 'decimal', precision: 12, scale: 4 } }],
    ['VARCHAR[][]', { kind: 'array', element: { kind: 'array', element: { kind: 'text' } } }],
    ['INTEGER[3]', { kind: 'array', element: { kind: 'integer' } }],
    ['STRUCT(a INTEGER, b VARCHAR[])', { kind: 'json' }],
    ['STRUCT(a INTEGER)[]', { kind: 'array', element: { kind: 'json' } }],
    ['MAP(VARCHAR, INTEGER)', { kind: 'json' }],
    ["ENUM('sad', 'it''s ok')", { kind: 'enum', name: '', values: ['sad', "it's ok"] }],
    ['TIME WITH TIME ZONE', { kind: 'text' }],
  ])('%s', (dataType, expected) => {
    expect(logicalTypeFromDuckDb(dataType)).toEqual(expected);
  });
});

describe('storesLogicalType', () => {
  it('accepts the storage Sluice chooses, in DuckDB’s spelling', () => {
    expect(storesLogicalType({ kind: 'timestamptz' }, 'TIMESTAMP WITH TIME ZONE')).toBe(true);
    expect(storesLogicalType({ kind: 'text', maxLength: 10 }, 'VARCHAR')).toBe(true);
    expect(storesLogicalType({ kind: 'char', length: 2 }, 'VARCHAR')).toBe(true);
    expect(storesLogicalType({ kind: 'decimal', precision: 10, scale: 2 }, 'DECIMAL(10,2)')).toBe(true);
    expect(storesLogicalType({ kind: 'array', element: { kind: 'bytes' } }, 'BLOB[]')).toBe(true);
  });

  it('accepts any DECIMAL(38,s) for a checked decimal (widening keeps the scale it had)', () => {
    expect(storesLogicalType({ kind: 'decimal' }, 'DECIMAL(38,20)')).toBe(true);
    expect(storesLogicalType({ kind: 'decimal' }, 'DECIMAL(18,3)')).toBe(false);
  });

  it('rejects a column altered behind Sluice’s back', () => {
    expect(storesLogicalType({ kind: 'integer' }, 'BIGINT')).toBe(false);
    expect(storesLogicalType({ kind: 'decimal', precision: 10, scale: 2 }, 'DECIMAL(12,2)')).toBe(false);
    expect(storesLogicalType({ kind: 'array', element: { kind: 'integer' } }, 'INTEGER')).toBe(false);
  });
});

describe('type name helpers', () => {
  it('normalizes spellings and finds array elements', () => {
    expect(normalizeTypeName('timestamptz')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(normalizeTypeName('DECIMAL( 10 , 2 )')).toBe('DECIMAL(10,2)');
    expect(arrayElement('INTEGER[][]')).toBe('INTEGER[]');
    expect(arrayElement('INTEGER')).toBeUndefined();
  });
});
