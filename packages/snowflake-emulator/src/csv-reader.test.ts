import { describe, expect, test } from 'vitest';
import { checkColumnCount, CsvParseFailure, parseCsv, type CsvRecord } from './csv-reader.js';
import { csvFormatFromOptions, DEFAULT_CSV_FORMAT, type FormatValue } from './sql/file-format.js';

const word = (value: string): FormatValue => ({ kind: 'word', value });
const str = (value: string): FormatValue => ({ kind: 'string', value });

/** The options Sluice needs for Postgres' `COPY … (FORMAT csv)` output. */
const POSTGRES_CSV = csvFormatFromOptions(
  new Map<string, FormatValue>([
    ['TYPE', word('CSV')],
    ['FIELD_OPTIONALLY_ENCLOSED_BY', str('"')],
    ['ESCAPE_UNENCLOSED_FIELD', word('NONE')],
    ['NULL_IF', { kind: 'list', value: [] }],
    ['EMPTY_FIELD_AS_NULL', word('TRUE')],
  ]),
);

const fields = (rows: ReturnType<typeof parseCsv>): (string | null)[][] =>
  rows.map((r) => {
    if (r instanceof CsvParseFailure) throw new Error(r.message);
    return r.fields;
  });

describe('parseCsv with the Postgres CSV options', () => {
  test('an unquoted empty field is NULL and a quoted empty field is an empty string', () => {
    expect(fields(parseCsv('1,,""\n', POSTGRES_CSV))).toEqual([['1', null, '']]);
  });

  test('quoted fields keep delimiters, doubled quotes and newlines', () => {
    expect(fields(parseCsv('1,"a,b","say ""hi""","line1\nline2"\n2,x,y,z', POSTGRES_CSV))).toEqual([
      ['1', 'a,b', 'say "hi"', 'line1\nline2'],
      ['2', 'x', 'y', 'z'],
    ]);
  });

  test('backslashes and \\N are data', () => {
    expect(fields(parseCsv('a\\b,\\N\n', POSTGRES_CSV))).toEqual([['a\\b', '\\N']]);
  });

  test('records start on the right line', () => {
    const rows = parseCsv('1,"a\nb"\n2,c\n', POSTGRES_CSV) as CsvRecord[];
    expect(rows.map((r) => r.line)).toEqual([1, 3]);
  });
});

describe('parseCsv with Snowflake defaults (what a missing option does)', () => {
  test('without FIELD_OPTIONALLY_ENCLOSED_BY quotes are data, so a quoted comma splits the field', () => {
    expect(fields(parseCsv('"a,b"\n', DEFAULT_CSV_FORMAT))).toEqual([['"a', 'b"']]);
  });

  test('the default NULL_IF turns \\N into NULL and the default escape eats backslashes', () => {
    expect(fields(parseCsv('\\N,a\\,b,c\\\\d\n', DEFAULT_CSV_FORMAT))).toEqual([[null, 'a,b', 'c\\d']]);
  });

  test('EMPTY_FIELD_AS_NULL = FALSE keeps an unquoted empty field as an empty string', () => {
    const format = csvFormatFromOptions(new Map([['EMPTY_FIELD_AS_NULL', word('FALSE')]]));
    expect(fields(parseCsv('a,,b\n', format))).toEqual([['a', '', 'b']]);
  });

  test('NULL_IF lists strings that become NULL', () => {
    const format = csvFormatFromOptions(
      new Map<string, FormatValue>([['NULL_IF', { kind: 'list', value: ['NULL', 'n/a'] }]]),
    );
    expect(fields(parseCsv('NULL,n/a,x\n', format))).toEqual([[null, null, 'x']]);
  });
});

describe('format options', () => {
  test('SKIP_HEADER, another delimiter and TRIM_SPACE', () => {
    const format = csvFormatFromOptions(
      new Map<string, FormatValue>([
        ['SKIP_HEADER', { kind: 'number', value: 1 }],
        ['FIELD_DELIMITER', str('|')],
        ['TRIM_SPACE', word('TRUE')],
      ]),
    );
    expect(fields(parseCsv('h1|h2\n a | b \n', format))).toEqual([['a', 'b']]);
  });

  test('a quote followed by something other than a delimiter is a parse failure with its position', () => {
    const rows = parseCsv('"a"x,b\nc,d\n', POSTGRES_CSV);
    expect(rows[0]).toBeInstanceOf(CsvParseFailure);
    expect((rows[0] as CsvParseFailure).line).toBe(1);
    expect(fields(rows.slice(1))).toEqual([['c', 'd']]);
  });

  test('an unterminated quote is a failure', () => {
    expect(parseCsv('"abc\n', POSTGRES_CSV)[0]).toBeInstanceOf(CsvParseFailure);
  });

  test('column count mismatch is an error unless ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE', () => {
    const record: CsvRecord = { line: 4, fields: ['a'] };
    expect(checkColumnCount(record, 2, true)).toBeInstanceOf(CsvParseFailure);
    expect(checkColumnCount(record, 2, false)).toEqual({ line: 4, fields: ['a', null] });
  });

  test('non-CSV types and custom date formats are refused', () => {
    expect(() => csvFormatFromOptions(new Map([['TYPE', word('JSON')]]))).toThrow(/Unsupported feature/);
    expect(() => csvFormatFromOptions(new Map([['DATE_FORMAT', str('DD/MM/YYYY')]]))).toThrow(/Unsupported feature/);
  });
});
