import type { LogicalType } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { decimalStorage, duckDbDialect, duckDbTypeName } from './duckdb-dialect.js';
import { mergeStatement } from './merge-statement.js';

describe('duckDbTypeName', () => {
  const cases: [LogicalType, string][] = [
    [{ kind: 'smallint' }, 'SMALLINT'],
    [{ kind: 'integer' }, 'INTEGER'],
    [{ kind: 'bigint' }, 'BIGINT'],
    [{ kind: 'decimal', precision: 10, scale: 2 }, 'DECIMAL(10,2)'],
    [{ kind: 'decimal', precision: 38, scale: 0 }, 'DECIMAL(38,0)'],
    [{ kind: 'decimal', precision: 5 }, 'DECIMAL(5,0)'],
    [{ kind: 'decimal' }, 'DECIMAL(38,18)'],
    [{ kind: 'decimal', precision: 50, scale: 10 }, 'DECIMAL(38,10)'],
    [{ kind: 'decimal', precision: 60, scale: 30 }, 'DECIMAL(38,18)'],
    [{ kind: 'decimal', precision: 5, scale: -2 }, 'DECIMAL(7,0)'],
    [{ kind: 'decimal', precision: 3, scale: 5 }, 'DECIMAL(5,5)'],
    [{ kind: 'real' }, 'FLOAT'],
    [{ kind: 'double' }, 'DOUBLE'],
    [{ kind: 'boolean' }, 'BOOLEAN'],
    [{ kind: 'text' }, 'VARCHAR'],
    [{ kind: 'text', maxLength: 255 }, 'VARCHAR'],
    [{ kind: 'char', length: 2 }, 'VARCHAR'],
    [{ kind: 'enum', name: 'mood', values: ['a'] }, 'VARCHAR'],
    [{ kind: 'date' }, 'DATE'],
    [{ kind: 'timestamp' }, 'TIMESTAMP'],
    [{ kind: 'timestamptz' }, 'TIMESTAMPTZ'],
    [{ kind: 'time' }, 'TIME'],
    [{ kind: 'interval' }, 'INTERVAL'],
    [{ kind: 'uuid' }, 'UUID'],
    [{ kind: 'json' }, 'JSON'],
    [{ kind: 'bytes' }, 'BLOB'],
    [{ kind: 'array', element: { kind: 'integer' } }, 'INTEGER[]'],
    [{ kind: 'array', element: { kind: 'decimal', precision: 12, scale: 4 } }, 'DECIMAL(12,4)[]'],
  ];
  it.each(cases)('%j → %s', (type, name) => {
    expect(duckDbTypeName(type)).toBe(name);
    expect(duckDbDialect.typeName(type)).toBe(name);
  });

  it('checks on load only the decimals DuckDB cannot hold for sure', () => {
    expect(decimalStorage({ kind: 'decimal', precision: 38, scale: 38 }).checked).toBe(false);
    expect(decimalStorage({ kind: 'decimal' }).checked).toBe(true);
    expect(decimalStorage({ kind: 'decimal', precision: 39, scale: 0 })).toEqual({
      width: 38,
      scale: 0,
      checked: true,
    });
  });
});

describe('duckDbDialect', () => {
  it('quotes identifiers and qualifies relations the ANSI way', () => {
    expect(duckDbDialect.quoteIdentifier('a"b')).toBe('"a""b"');
    expect(duckDbDialect.qualify({ schema: 'raw', name: 'Vendas' })).toBe('"raw"."Vendas"');
  });

  it('MERGE writes bare target columns in SET and skips the update branch when only keys are written', () => {
    const sql = mergeStatement({
      target: { schema: 's', name: 't' },
      sourceSql: 'select 1 as id',
      keys: ['id'],
      columns: ['id'],
    });
    expect(sql).not.toContain('WHEN MATCHED');
    expect(sql).toContain('WHEN NOT MATCHED THEN INSERT ("id")');
    const full = duckDbDialect.mergeInto({ schema: 's', name: 't' }, 'select 1 as id, 2 as v', ['id'], ['v']);
    expect(full).toContain('UPDATE SET\n  "v" = "DBT_INTERNAL_SOURCE"."v"');
    expect(full).toContain('INSERT ("id", "v")');
  });

  it('MERGE without a key is refused', () => {
    expect(() => duckDbDialect.mergeInto({ schema: 's', name: 't' }, 'select 1', [], ['v'])).toThrow(
      expect.objectContaining({ code: 'INVALID_LOAD_REQUEST' }),
    );
  });
});
