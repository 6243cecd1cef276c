import { describe, expect, test } from 'vitest';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import { linePosition, tokenize } from './tokenizer.js';

const significant = (sql: string) => tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');

describe('tokenize', () => {
  test('folds unquoted words to upper case and keeps quoted identifiers exact', () => {
    const tokens = significant('select MyCol, "MyCol", "a""b" from t');
    expect(tokens.map((t) => [t.kind, t.value])).toEqual([
      ['word', 'SELECT'],
      ['word', 'MYCOL'],
      ['op', ','],
      ['quoted', 'MyCol'],
      ['op', ','],
      ['quoted', 'a"b'],
      ['word', 'FROM'],
      ['word', 'T'],
    ]);
  });

  test('reads Snowflake string escapes and doubled quotes', () => {
    const [s1, s2, s3] = significant(`'it''s' 'a\\nb\\t\\\\' $$raw 'x' \\n$$`);
    expect(s1?.value).toBe("it's");
    expect(s2?.value).toBe('a\nb\t\\');
    expect(s3?.value).toBe("raw 'x' \\n");
  });

  test('keeps comments of all three kinds out of the significant tokens', () => {
    const tokens = significant('select 1 -- one\n// two\n/* three */ + 2');
    expect(tokens.map((t) => t.value)).toEqual(['SELECT', '1', '+', '2']);
  });

  test('recognises binds, stage references and staged columns', () => {
    const tokens = significant('insert into t select $1, ? , :2 from @my_stage/path/x.csv.gz');
    expect(tokens.filter((t) => t.kind === 'bind').map((t) => t.value)).toEqual(['', '2']);
    expect(tokens.find((t) => t.kind === 'positional')?.value).toBe('1');
    expect(tokens.find((t) => t.kind === 'stage')?.value).toBe('@my_stage/path/x.csv.gz');
  });

  test('treats `col:1` after an identifier as a path, not a bind', () => {
    const tokens = significant('select v:1 from t');
    expect(tokens.some((t) => t.kind === 'bind')).toBe(false);
  });

  test('reads numbers with fractions and exponents, and normalises != to <>', () => {
    const tokens = significant('1.5e3 .25 10 a != b');
    expect(tokens.map((t) => t.value)).toEqual(['1.5e3', '.25', '10', 'A', '<>', 'B']);
  });

  test('rejects an unterminated string with a Snowflake syntax error', () => {
    expect(() => tokenize("select 'abc")).toThrow(SnowflakeEmulatorError);
    try {
      tokenize("select 'abc");
    } catch (error) {
      expect((error as SnowflakeEmulatorError).snowflakeCode).toBe('001003');
      expect((error as SnowflakeEmulatorError).sqlState).toBe('42000');
    }
  });

  test('reports line and position like Snowflake', () => {
    expect(linePosition('select\n  x', 9)).toEqual({ line: 2, position: 2 });
  });
});
