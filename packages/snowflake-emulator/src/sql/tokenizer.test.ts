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

  test('reads session variables, staged columns, exponents (or not) and the multi-character operators', () => {
    const tokens = significant('select $myVar, $1, 1e5, 1e+5, 2E-3, 1ex, 3e, 1e+x, 1..2, v:a->>b, a->b, x=>1');
    expect(tokens.map((t) => [t.kind, t.value])).toEqual([
      ['word', 'SELECT'],
      ['variable', 'MYVAR'],
      ['op', ','],
      ['positional', '1'],
      ['op', ','],
      ['number', '1e5'],
      ['op', ','],
      ['number', '1e+5'],
      ['op', ','],
      ['number', '2E-3'],
      ['op', ','],
      ['number', '1'],
      ['word', 'EX'],
      ['op', ','],
      ['number', '3'],
      ['word', 'E'],
      ['op', ','],
      ['number', '1'],
      ['word', 'E'],
      ['op', '+'],
      ['word', 'X'],
      ['op', ','],
      ['number', '1'],
      ['op', '.'],
      ['number', '.2'],
      ['op', ','],
      ['word', 'V'],
      ['op', ':'],
      ['word', 'A'],
      ['op', '->>'],
      ['word', 'B'],
      ['op', ','],
      ['word', 'A'],
      ['op', '->'],
      ['word', 'B'],
      ['op', ','],
      ['word', 'X'],
      ['op', '=>'],
      ['number', '1'],
    ]);
  });

  test('reads quoted stage names, table and user stages, and keeps the source text of every token', () => {
    const tokens = significant('select @"My Stage"/p/x.csv, @%t, @~/a');
    expect(tokens.map((t) => [t.kind, t.value, t.text])).toEqual([
      ['word', 'SELECT', 'select'],
      ['stage', '@"My Stage"/p/x.csv', '@"My Stage"/p/x.csv'],
      ['op', ',', ','],
      ['stage', '@%t', '@%t'],
      ['op', ',', ','],
      ['stage', '@~/a', '@~/a'],
    ]);
    const sql = 'select \'a\' , "B" -- c\n';
    expect(
      tokenize(sql)
        .map((t) => sql.slice(t.start, t.end))
        .join(''),
    ).toBe(sql);
  });

  test('`:n` after an operand is a path unless whitespace comes first; after `)` or `]` it is a path too', () => {
    expect(significant('select a\n:1').map((t) => [t.kind, t.value])).toEqual([
      ['word', 'SELECT'],
      ['word', 'A'],
      ['bind', '1'],
    ]);
    expect(significant('select (a):1, a[0]:2').map((t) => [t.kind, t.value])).toEqual([
      ['word', 'SELECT'],
      ['op', '('],
      ['word', 'A'],
      ['op', ')'],
      ['op', ':'],
      ['number', '1'],
      ['op', ','],
      ['word', 'A'],
      ['op', '['],
      ['number', '0'],
      ['op', ']'],
      ['op', ':'],
      ['number', '2'],
    ]);
  });

  test('`:n` at the start is a bind; an exponent marker at the end of the text is a word', () => {
    expect(significant(':1').map((t) => [t.kind, t.value])).toEqual([['bind', '1']]);
    expect(significant('1e').map((t) => [t.kind, t.value])).toEqual([
      ['number', '1'],
      ['word', 'E'],
    ]);
    expect(significant('1e+').map((t) => [t.kind, t.value])).toEqual([
      ['number', '1'],
      ['word', 'E'],
      ['op', '+'],
    ]);
  });

  test('reads \\x and \\u escapes, and any other escaped character as itself', () => {
    expect(significant("select '\\x41\\u0042\\'\\q'")[1]?.value).toBe("AB'q");
  });

  test.each([
    ['select /* x', 'syntax error line 1 at position 7 unterminated comment.'],
    ['select $$abc', 'syntax error line 1 at position 7 unterminated $$ string.'],
    ['select "abc', 'syntax error line 1 at position 7 unterminated quoted identifier.'],
    ['select ""', 'syntax error line 1 at position 7 empty quoted identifier.'],
    ['select @"abc', 'syntax error line 1 at position 7 unterminated quoted stage name.'],
    ['select #', "syntax error line 1 at position 7 unexpected '#'."],
    ["select '\\x4'", 'syntax error line 1 at position 8 invalid \\x escape.'],
    ["select '\\u12'", 'syntax error line 1 at position 8 invalid \\u escape.'],
    ["select 'abc\\", 'syntax error line 1 at position 7 unterminated string literal.'],
  ])('%s is a syntax error: %s', (sql, detail) => {
    expect(() => tokenize(sql)).toThrow(`SQL compilation error:\n${detail}`);
  });
});
