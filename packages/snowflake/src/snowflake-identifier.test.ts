import { describe, expect, it } from 'vitest';
import {
  qualifySnowflake,
  quoteSnowflakeIdentifier,
  sameSnowflakeName,
  sluiceName,
  snowflakeLiteral,
  snowflakeName,
} from './snowflake-identifier.js';

describe('Snowflake names', () => {
  it('stores plain names as Snowflake stores unquoted ones (upper case), others exactly', () => {
    expect(snowflakeName('id_vendas')).toBe('ID_VENDAS');
    expect(snowflakeName('CamelCase')).toBe('CAMELCASE');
    expect(snowflakeName('preço')).toBe('preço');
    expect(snowflakeName('with space')).toBe('with space');
    expect(snowflakeName('1abc')).toBe('1abc');
    expect(quoteSnowflakeIdentifier('a"b')).toBe('"a""b"');
    expect(qualifySnowflake({ schema: 'analytics_stage', name: 'stg_vendas' })).toBe('"ANALYTICS_STAGE"."STG_VENDAS"');
  });

  it('reads plain upper-case names back in lower case, so query rows are keyed as on DuckDB', () => {
    expect(sluiceName('ID_VENDAS')).toBe('id_vendas');
    expect(sluiceName('count(*)')).toBe('count(*)');
    expect(sluiceName('Mixed')).toBe('Mixed');
    expect(sluiceName('n')).toBe('n');
    expect(sameSnowflakeName('Vendas', 'VENDAS')).toBe(true);
    expect(sameSnowflakeName('preço', 'PREÇO')).toBe(false);
  });

  it('writes string literals with quotes doubled and backslashes escaped (Snowflake reads \\n inside quotes)', () => {
    expect(snowflakeLiteral(`it's`)).toBe(`'it''s'`);
    expect(snowflakeLiteral('a\\b')).toBe(`'a\\\\b'`);
    expect(snowflakeLiteral('{"a":"say \\"hi\\""}')).toBe(`'{"a":"say \\\\"hi\\\\""}'`);
  });
});
