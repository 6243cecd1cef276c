import { duckDbDialect } from '@sluice/duckdb';
import { describe, expect, it } from 'vitest';
import { genericTestSql, validateGenericTestArgs } from './generic-test-sql.js';

const relation = '"main"."fct_vendas"';

describe('genericTestSql', () => {
  it('writes each built-in test as a query for the failing rows', () => {
    expect(genericTestSql('not_null', { relation, columnName: 'venda_id', args: {} }, duckDbDialect)).toBe(
      'select *\nfrom "main"."fct_vendas" as tested\nwhere venda_id is null',
    );
    expect(genericTestSql('unique', { relation, columnName: 'venda_id', args: {} }, duckDbDialect)).toBe(
      [
        'select venda_id as unique_field, count(*) as n_records',
        'from "main"."fct_vendas" as tested',
        'where venda_id is not null',
        'group by venda_id',
        'having count(*) > 1',
      ].join('\n'),
    );
    expect(
      genericTestSql('accepted_values', { relation, columnName: 'uf', args: { values: ['SP', "D'X"] } }, duckDbDialect),
    ).toContain("where value_field not in ('SP', 'D''X')");
    expect(
      genericTestSql(
        'accepted_values',
        { relation, columnName: 'n', args: { values: [1, 2], quote: false } },
        duckDbDialect,
      ),
    ).toContain('not in (1, 2)');
    expect(
      genericTestSql(
        'relationships',
        { relation, columnName: 'cliente_id', args: { to: '"main"."dim_clientes"', field: 'cliente_id' } },
        duckDbDialect,
      ),
    ).toBe(
      [
        'select *',
        'from "main"."fct_vendas" as child',
        'where cliente_id is not null',
        '  and cliente_id not in (select cliente_id from "main"."dim_clientes" as parent where cliente_id is not null)',
      ].join('\n'),
    );
    expect(genericTestSql('expression_is_true', { relation, args: { expression: 'valor > 0' } }, duckDbDialect)).toBe(
      'select *\nfrom "main"."fct_vendas" as tested\nwhere not (valor > 0)',
    );
    expect(
      genericTestSql(
        'expression_is_true',
        { relation, columnName: 'valor', args: { expression: '> 0' } },
        duckDbDialect,
      ),
    ).toContain('where not (valor > 0)');
    expect(
      genericTestSql(
        'unique_combination_of_columns',
        { relation, args: { combination_of_columns: ['a', 'b'], quote_columns: true } },
        duckDbDialect,
      ),
    ).toContain('select "a", "b", count(*) as n_records');
    expect(
      genericTestSql(
        'accepted_range',
        { relation, columnName: 'valor', args: { min_value: 0, max_value: 10, inclusive: false } },
        duckDbDialect,
      ),
    ).toContain('where not (valor > 0 and valor < 10)');
  });

  it('applies the where config to the tested rows', () => {
    expect(
      genericTestSql('not_null', { relation, columnName: 'x', args: {}, where: "estado = 'SP'" }, duckDbDialect),
    ).toBe(`select *\nfrom (select * from "main"."fct_vendas" where estado = 'SP') as tested\nwhere x is null`);
  });

  it('names the closest test or argument when one is misspelled', () => {
    expect(() => genericTestSql('not_nul', { relation, columnName: 'x', args: {} }, duckDbDialect)).toThrow(
      /did you mean "not_null"/,
    );
    expect(() =>
      genericTestSql('relationships', { relation, columnName: 'x', args: { too: 'y', field: 'z' } }, duckDbDialect),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_TEST_ARGUMENT' }));
    expect(validateGenericTestArgs('relationships', { too: 'y', field: 'z' }, true)).toEqual([
      'relationships has no argument "too"; did you mean "to"?',
      'relationships needs the argument "to".',
    ]);
    expect(validateGenericTestArgs('not_null', {}, false)).toEqual([
      "not_null checks a column: declare it under a column's data_tests, or give column_name.",
    ]);
    expect(validateGenericTestArgs('accepted_range', {}, true)).toEqual([
      'accepted_range needs "min_value", "max_value" or both.',
    ]);
  });
});
