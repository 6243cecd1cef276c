import { describe, expect, test } from 'vitest';
import { checkColumnCount, CsvParseFailure, decodeCsvText, parseCsv, type CsvRecord } from './csv-reader.js';
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

describe('parseCsv: record delimiters, byte order marks and encodings as Snowflake reads them', () => {
  test('\r, \r\n and \n inside an enclosed field are data; \r\n outside one ends a record (logical new line)', () => {
    expect(fields(parseCsv('"a\rb",1\n"c\r\nd",2\r\n"\n",3\n', POSTGRES_CSV))).toEqual([
      ['a\rb', '1'],
      ['c\r\nd', '2'],
      ['\n', '3'],
    ]);
  });

  test('MULTI_LINE = FALSE refuses a record delimiter inside an enclosed field', () => {
    const format = { ...POSTGRES_CSV, multiLine: false };
    const [first, second] = parseCsv('"a\nb",1\nc,2\n', format);
    expect(first).toBeInstanceOf(CsvParseFailure);
    expect(second).toMatchObject({ fields: ['c', '2'] });
  });

  test('a byte order mark at the start is dropped by default and kept with SKIP_BYTE_ORDER_MARK = FALSE', () => {
    expect(fields(parseCsv('\ufeffa,1\n', POSTGRES_CSV))).toEqual([['a', '1']]);
    expect(fields(parseCsv('\ufeffa,1\n', { ...POSTGRES_CSV, skipByteOrderMark: false }))).toEqual([['\ufeffa', '1']]);
  });

  test('invalid UTF-8 fails the file unless REPLACE_INVALID_CHARACTERS = TRUE', () => {
    const bytes = Buffer.concat([Buffer.from('ok,1\nbad'), Buffer.from([0xff]), Buffer.from(',2\n')]);
    expect(decodeCsvText(bytes, POSTGRES_CSV)).toMatchObject({ line: 2, message: 'Invalid UTF8 detected in string' });
    expect(decodeCsvText(bytes, { ...POSTGRES_CSV, replaceInvalidCharacters: true })).toBe('ok,1\nbad\ufffd,2\n');
    expect(decodeCsvText(Buffer.from('\ufeffé,1\n'), POSTGRES_CSV)).toBe('\ufeffé,1\n');
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

describe('parseCsv: escapes, blank lines, other delimiters', () => {
  const format = (options: [string, FormatValue][]) => csvFormatFromOptions(new Map(options));

  test('ESCAPE inside an enclosed field makes the next character data', () => {
    const escaped = format([
      ['FIELD_OPTIONALLY_ENCLOSED_BY', str('"')],
      ['ESCAPE', str('\\')],
    ]);
    expect(fields(parseCsv('"a\\"b","c\\\\d"\n', escaped))).toEqual([['a"b', 'c\\d']]);
  });

  test('TRIM_SPACE skips spaces after a closing quote', () => {
    const trimmed = format([
      ['FIELD_OPTIONALLY_ENCLOSED_BY', str('"')],
      ['TRIM_SPACE', word('TRUE')],
    ]);
    expect(fields(parseCsv('"a"  ,b\n', trimmed))).toEqual([['a', 'b']]);
  });

  test('a blank line is one NULL field, or nothing with SKIP_BLANK_LINES', () => {
    expect(parseCsv('a\n\nb\n', DEFAULT_CSV_FORMAT)).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [null] },
      { line: 3, fields: ['b'] },
    ]);
    expect(parseCsv('a\n\nb\n', format([['SKIP_BLANK_LINES', word('TRUE')]]))).toEqual([
      { line: 1, fields: ['a'] },
      { line: 3, fields: ['b'] },
    ]);
    expect(parseCsv('\n', DEFAULT_CSV_FORMAT)).toEqual([{ line: 1, fields: [null] }]);
  });

  test('the unenclosed-field escape interprets \\n \\t \\r \\b \\f \\0 and keeps any other character', () => {
    expect(fields(parseCsv('a\\nb\\tc\\rd\\be\\ff\\0g\\z\n', DEFAULT_CSV_FORMAT))).toEqual([['a\nb\tc\rd\be\ff\0gz']]);
  });

  test('a byte order mark is dropped; the last record needs no delimiter; an empty field between delimiters is NULL', () => {
    expect(fields(parseCsv('\ufeffa,b\n', DEFAULT_CSV_FORMAT))).toEqual([['a', 'b']]);
    expect(fields(parseCsv('a,b', DEFAULT_CSV_FORMAT))).toEqual([['a', 'b']]);
    expect(fields(parseCsv('a||b\n', format([['FIELD_DELIMITER', str('|')]])))).toEqual([['a', null, 'b']]);
  });

  test('RECORD_DELIMITER = \\r\\n: records split on it, and line numbers count only newlines inside fields', () => {
    const crlf = format([['RECORD_DELIMITER', str('\r\n')]]);
    expect(parseCsv('a,b\r\nc,d\r\n', crlf)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 1, fields: ['c', 'd'] },
    ]);
    const enclosed = format([
      ['RECORD_DELIMITER', str('\r\n')],
      ['FIELD_OPTIONALLY_ENCLOSED_BY', str('"')],
    ]);
    expect(parseCsv('"a\nb",c\r\nd,e\r\n', enclosed)).toEqual([
      { line: 1, fields: ['a\nb', 'c'] },
      { line: 2, fields: ['d', 'e'] },
    ]);
  });

  test('a failure with no record delimiter after it ends the file; a failure in a skipped header is skipped', () => {
    const rows = parseCsv('"a"x,b', POSTGRES_CSV);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(new CsvParseFailure("Found character 'x' instead of field delimiter ','", 1, 4));
    const header = format([
      ['SKIP_HEADER', { kind: 'number', value: 1 }],
      ['FIELD_OPTIONALLY_ENCLOSED_BY', str('"')],
    ]);
    expect(parseCsv('"h\nx,y\n', header)).toEqual([]);
  });
});
