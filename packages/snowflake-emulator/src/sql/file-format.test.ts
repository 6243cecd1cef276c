import { describe, expect, test } from 'vitest';
import { csvFormatFromOptions, DEFAULT_CSV_FORMAT, type CsvFileFormat, type FormatValue } from './file-format.js';

const word = (value: string): FormatValue => ({ kind: 'word', value });
const str = (value: string): FormatValue => ({ kind: 'string', value });
const num = (value: number): FormatValue => ({ kind: 'number', value });
const list = (value: string[]): FormatValue => ({ kind: 'list', value });

const unsupported = (construct: string): string =>
  `Unsupported feature '${construct}'. The Sluice Snowflake emulator does not implement it; see its README for what is covered.`;

describe('csvFormatFromOptions', () => {
  test.each<[string, FormatValue, Partial<CsvFileFormat>]>([
    ['TYPE', word('csv'), {}],
    ['COMPRESSION', word('gzip'), { compression: 'GZIP' }],
    ['FIELD_DELIMITER', str('|'), { fieldDelimiter: '|' }],
    ['FIELD_DELIMITER', num(5), { fieldDelimiter: '5' }],
    ['RECORD_DELIMITER', str(';'), { recordDelimiter: ';' }],
    ['RECORD_DELIMITER', str('\r\n'), { recordDelimiter: '\r\n' }],
    ['SKIP_HEADER', str('2'), { skipHeader: 2 }],
    ['FIELD_OPTIONALLY_ENCLOSED_BY', str('"'), { fieldOptionallyEnclosedBy: '"' }],
    ['FIELD_OPTIONALLY_ENCLOSED_BY', word('NONE'), { fieldOptionallyEnclosedBy: undefined }],
    ['ESCAPE', str('\\'), { escape: '\\' }],
    ['ESCAPE', word('NONE'), { escape: undefined }],
    ['ESCAPE_UNENCLOSED_FIELD', word('NONE'), { escapeUnenclosedField: undefined }],
    ['NULL_IF', str('NULL'), { nullIf: ['NULL'] }],
    ['NULL_IF', list([]), { nullIf: [] }],
    ['NULL_IF', list(['a', 'b']), { nullIf: ['a', 'b'] }],
    ['EMPTY_FIELD_AS_NULL', word('FALSE'), { emptyFieldAsNull: false }],
    ['ERROR_ON_COLUMN_COUNT_MISMATCH', word('FALSE'), { errorOnColumnCountMismatch: false }],
    ['TRIM_SPACE', str('true'), { trimSpace: true }],
    ['SKIP_BLANK_LINES', word('TRUE'), { skipBlankLines: true }],
    ['BINARY_FORMAT', word('base64'), { binaryFormat: 'BASE64' }],
    ['BINARY_FORMAT', word('UTF8'), { binaryFormat: 'UTF8' }],
    ['ENCODING', str('UTF-8'), {}],
    ['DATE_FORMAT', word('AUTO'), {}],
    ['TIMESTAMP_FORMAT', str('auto'), {}],
    ['PARSE_HEADER', word('FALSE'), {}],
    ['FILE_EXTENSION', str('.csv'), {}],
    ['VALIDATE_UTF8', word('TRUE'), {}],
    ['SKIP_BYTE_ORDER_MARK', word('TRUE'), {}],
    ['SKIP_BYTE_ORDER_MARK', word('FALSE'), { skipByteOrderMark: false }],
    ['REPLACE_INVALID_CHARACTERS', word('TRUE'), { replaceInvalidCharacters: true }],
    ['REPLACE_INVALID_CHARACTERS', word('FALSE'), {}],
    ['MULTI_LINE', word('FALSE'), { multiLine: false }],
    ['MULTI_LINE', word('TRUE'), {}],
  ])('%s = %j', (key, value, change) => {
    expect(csvFormatFromOptions(new Map([[key, value]]))).toEqual({ ...DEFAULT_CSV_FORMAT, ...change });
  });

  test.each<[string, FormatValue, string]>([
    ['BOGUS', word('X'), unsupported('file format option BOGUS')],
    ['TYPE', word('JSON'), unsupported('file format TYPE = JSON (only CSV is implemented)')],
    ['COMPRESSION', word('ZSTD'), unsupported('COMPRESSION = ZSTD')],
    ['FIELD_DELIMITER', word('NONE'), unsupported('FIELD_DELIMITER = NONE')],
    ['RECORD_DELIMITER', word('NONE'), unsupported('RECORD_DELIMITER = NONE')],
    [
      'FIELD_DELIMITER',
      str('ab'),
      "SQL compilation error:\ninvalid value 'ab' for FIELD_DELIMITER: a single character or NONE.",
    ],
    ['BINARY_FORMAT', word('HEX2'), unsupported('BINARY_FORMAT = HEX2')],
    ['ENCODING', str('LATIN1'), unsupported('ENCODING = LATIN1')],
    ['TIME_FORMAT', str('HH24'), unsupported('TIME_FORMAT other than AUTO')],
    ['PARSE_HEADER', word('TRUE'), unsupported('PARSE_HEADER = TRUE')],
    [
      'TRIM_SPACE',
      word('MAYBE'),
      "SQL compilation error:\ninvalid value 'MAYBE' for TRIM_SPACE: expected TRUE or FALSE.",
    ],
    [
      'EMPTY_FIELD_AS_NULL',
      num(1),
      "SQL compilation error:\ninvalid value '1' for EMPTY_FIELD_AS_NULL: expected TRUE or FALSE.",
    ],
    ['SKIP_HEADER', list(['a']), 'SQL compilation error:\ninvalid value for SKIP_HEADER.'],
  ])('%s = %j is refused', (key, value, message) => {
    expect(() => csvFormatFromOptions(new Map([[key, value]]))).toThrow(message);
  });

  test('options apply over a base format, later ones over earlier ones', () => {
    const base = { ...DEFAULT_CSV_FORMAT, fieldDelimiter: '|', skipHeader: 1 };
    const options = new Map<string, FormatValue>([
      ['SKIP_HEADER', num(3)],
      ['TRIM_SPACE', word('TRUE')],
    ]);
    expect(csvFormatFromOptions(options, base)).toEqual({ ...base, skipHeader: 3, trimSpace: true });
  });
});
