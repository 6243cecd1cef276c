import { describe, expect, it } from 'vitest';
import { ModelsError } from '../models-error.js';
import { readSeedTable, type SeedColumn } from './seed-table.js';

const typeOf = (column: SeedColumn | undefined) =>
  column === undefined ? undefined : 'sql' in column.type ? column.type.sql : column.type.inferred;

/** The inferred type of a one-column seed holding `values`. */
function infer(...values: string[]) {
  return typeOf(readSeedTable(['c', ...values].join('\n'), { file: 'seeds/t.csv' }).columns[0]);
}

describe('readSeedTable: dbt’s type inference', () => {
  it('types each column as dbt’s type tester does, in its order', () => {
    expect(infer('1', '2', '-3')).toEqual({ kind: 'integer' });
    expect(infer('1', '2147483648')).toEqual({ kind: 'bigint' });
    expect(infer('1', '99999999999999999999')).toEqual({ kind: 'decimal', precision: 38, scale: 0 });
    // Any digits after the point (even 1.0) make dbt's float8.
    expect(infer('1', '2.0')).toEqual({ kind: 'double' });
    expect(infer('"1,000"', '2')).toEqual({ kind: 'integer' });
    expect(infer('1e3')).toEqual({ kind: 'double' });
    expect(infer('2024-01-31', '2024-2-1')).toEqual({ kind: 'date' });
    expect(infer('2024-02-30')).toEqual({ kind: 'text' });
    expect(infer('2024-01-31 10:00:00', '2024-02-01 23:59:59')).toEqual({ kind: 'timestamp' });
    expect(infer('2024-01-31T10:00:00Z', '2024-02-01T23:59:59.5+02:00')).toEqual({ kind: 'timestamp' });
    // A date and a timestamp in one column fit no single format: text, as in dbt.
    expect(infer('2024-01-31', '2024-02-01 10:00:00')).toEqual({ kind: 'text' });
    expect(infer('true', 'FALSE', 'True')).toEqual({ kind: 'boolean' });
    expect(infer('yes', 'no')).toEqual({ kind: 'text' });
    expect(infer('007', 'abc')).toEqual({ kind: 'text' });
    // No value at all: dbt's Integer.
    expect(infer('""', 'null', 'NULL')).toEqual({ kind: 'integer' });
  });

  it('reads empty fields and null as NULL, and normalizes values for a CAST from text', () => {
    const table = readSeedTable('n,d,t,b,s\n"1,000",2024-1-2,2024-01-02T03:04:05,TRUE,\n,null,, ,null\n', {
      file: 'seeds/t.csv',
    });
    expect(table.rows).toEqual([
      ['1000', '2024-01-02', '2024-01-02 03:04:05', 'true', null],
      [null, null, null, null, null],
    ]);
  });

  it('keeps quoted delimiters, quotes and line breaks inside fields; strips a BOM; takes another delimiter', () => {
    const table = readSeedTable('\ufeffa;b\r\n"x;y";"say ""hi""\nthere"\r\n', { file: 'seeds/t.csv', delimiter: ';' });
    expect(table.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(table.rows).toEqual([['x;y', 'say "hi"\nthere']]);
  });

  it('reads column_types columns as text with the type as written, and refuses a name that is not a column', () => {
    const table = readSeedTable('code,price\n007,1.50\n', {
      file: 'seeds/t.csv',
      columnTypes: { code: 'varchar(8)' },
    });
    expect(table.columns.map(typeOf)).toEqual(['varchar(8)', { kind: 'double' }]);
    expect(table.rows).toEqual([['007', '1.50']]);
    expect(() => readSeedTable('a\n1\n', { file: 'seeds/t.csv', columnTypes: { b: 'int' } })).toThrow(
      /column_types names b, which is not a column of the seed \(a\)/,
    );
  });

  it('names the file and line of a ragged row, an unclosed quote, a header without names', () => {
    const problem = (text: string) => {
      try {
        readSeedTable(text, { file: 'seeds/t.csv' });
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(ModelsError);
        return (error as ModelsError).message;
      }
    };
    expect(problem('a,b\n1,2\n3\n')).toBe('seeds/t.csv:3: 1 fields where the header has 2.');
    expect(problem('a,b\n1,"2\n')).toBe('seeds/t.csv:2: a quoted field is not closed.');
    expect(problem('a,,b\n1,2,3\n')).toBe('seeds/t.csv:1: column 2 of the header has no name.');
    expect(problem('')).toMatch(/seeds\/t\.csv: the seed is empty/);
    expect(problem('a,A\n1,2\n')).toBe('seeds/t.csv:1: the column A is named twice.');
  });
});
