import { SnowflakeEmulatorError } from './emulator-error.js';
import type { CsvFileFormat } from './sql/file-format.js';

/** One record of a staged CSV file: its field values (NULL already decided) and the line it starts on. */
export interface CsvRecord {
  readonly fields: (string | null)[];
  readonly line: number;
}

/** A CSV parse failure, with where it happened (Snowflake reports file, line and character). */
export class CsvParseFailure {
  constructor(
    readonly message: string,
    readonly line: number,
    readonly character: number,
  ) {}
}

/** A field as read, before NULL_IF / EMPTY_FIELD_AS_NULL decide whether it is NULL. */
interface RawField {
  /** The value, escapes resolved (and trimmed with TRIM_SPACE). */
  readonly text: string;
  readonly quoted: boolean;
  /** An unenclosed field as written, escapes kept (what NULL_IF compares with). */
  readonly raw: string;
}

/** Where the parser is in the text: the offset and the current line (1-based). */
interface CsvCursor {
  readonly input: string;
  readonly format: CsvFileFormat;
  i: number;
  line: number;
}

/** One record as read: its fields, or the failure that ended it; `blank` when it held nothing at all. */
interface RawRecord {
  readonly line: number;
  readonly fields: RawField[];
  readonly failure: CsvParseFailure | undefined;
  readonly blank: boolean;
}

/**
 * Parse CSV text the way Snowflake's CSV file format options say: FIELD_OPTIONALLY_ENCLOSED_BY (quotes are data
 * when NONE), ESCAPE inside enclosed fields, ESCAPE_UNENCLOSED_FIELD (backslash by default), NULL_IF (`\N` by
 * default, compared with the field text), EMPTY_FIELD_AS_NULL (only an unenclosed empty field), SKIP_HEADER,
 * TRIM_SPACE, SKIP_BLANK_LINES, SKIP_BYTE_ORDER_MARK, MULTI_LINE, and RECORD_DELIMITER `\n` as Snowflake's
 * logical new line (`\r\n` outside an enclosed field ends a record too; inside one, both are data). A malformed
 * record yields a CsvParseFailure in place of the record. Invalid UTF-8 is decided before (`decodeCsvText`).
 */
export function parseCsv(text: string, format: CsvFileFormat): (CsvRecord | CsvParseFailure)[] {
  // A format stored by an older emulator lacks the newer fields: they take Snowflake's defaults.
  const skipBom = format.skipByteOrderMark !== false;
  const input = skipBom && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const cursor: CsvCursor = { input, format, i: 0, line: 1 };
  const out: (CsvRecord | CsvParseFailure)[] = [];
  let skipped = 0;
  while (cursor.i < cursor.input.length) {
    const record = readRecord(cursor);
    if (skipped < format.skipHeader) {
      skipped++;
      continue;
    }
    if (record.failure) {
      out.push(record.failure);
      continue;
    }
    if (record.blank && record.fields.length === 1 && format.skipBlankLines) continue;
    out.push({ line: record.line, fields: record.fields.map((f) => fieldValue(f, format)) });
  }
  return out;
}

/** NULL_IF is compared with an enclosed field's value and an unenclosed field's text as written. */
function fieldValue(field: RawField, format: CsvFileFormat): string | null {
  if (format.nullIf.includes(field.quoted ? field.text : field.raw)) return null;
  if (!field.quoted && field.text === '' && format.emptyFieldAsNull) return null;
  return field.text;
}

/** The length of the record delimiter at `i` (0: none there): `\n` is a logical new line, so `\r\n` counts too. */
function recordDelimiterAt(input: string, i: number, recordDelimiter: string): number {
  if (input.startsWith(recordDelimiter, i)) return recordDelimiter.length;
  if (recordDelimiter === '\n' && input[i] === '\r' && input[i + 1] === '\n') return 2;
  return 0;
}

/** Read fields up to and past the record delimiter (or the end); a malformed record resynchronises at the next. */
function readRecord(cursor: CsvCursor): RawRecord {
  const { input, format } = cursor;
  const { fieldDelimiter: delimiter, recordDelimiter } = format;
  const recordLine = cursor.line;
  const recordStart = cursor.i;
  const fields: RawField[] = [];
  let blank = recordDelimiterAt(input, cursor.i, recordDelimiter) > 0;
  const ended = (failure?: CsvParseFailure): RawRecord => ({ line: recordLine, fields, failure, blank });
  for (;;) {
    if (format.fieldOptionallyEnclosedBy !== undefined && input[cursor.i] === format.fieldOptionallyEnclosedBy) {
      const field = readEnclosedField(cursor, format.fieldOptionallyEnclosedBy);
      if (field === undefined) {
        const failure = new CsvParseFailure(
          'Unexpected end of file while reading an enclosed field (missing closing quote)',
          recordLine,
          cursor.i - recordStart + 1,
        );
        cursor.i = input.length;
        return ended(failure);
      }
      if (format.multiLine === false && field.text.includes(recordDelimiter)) {
        const failure = new CsvParseFailure(
          'Record delimiter found inside an enclosed field, and the file format says MULTI_LINE = FALSE',
          recordLine,
          cursor.i - recordStart + 1,
        );
        const next = input.indexOf(recordDelimiter, cursor.i);
        cursor.i = next < 0 ? input.length : next + recordDelimiter.length;
        return ended(failure);
      }
      fields.push(field);
      blank = false;
    } else {
      const field = readUnenclosedField(cursor);
      fields.push(field);
      if (field.text !== '') blank = false;
    }
    if (cursor.i >= input.length) return ended();
    if (input.startsWith(delimiter, cursor.i)) {
      cursor.i += delimiter.length;
      blank = false;
      continue;
    }
    const ending = recordDelimiterAt(input, cursor.i, recordDelimiter);
    if (ending > 0) {
      if (recordDelimiter === '\n') cursor.line++;
      cursor.i += ending;
      return ended();
    }
    const failure = new CsvParseFailure(
      `Found character '${input[cursor.i]}' instead of field delimiter '${delimiter}'`,
      recordLine,
      cursor.i - recordStart + 1,
    );
    // resynchronise at the next record delimiter
    const next = input.indexOf(recordDelimiter, cursor.i);
    cursor.i = next < 0 ? input.length : next + recordDelimiter.length;
    cursor.line++;
    return ended(failure);
  }
}

/**
 * An enclosed field at the cursor: ESCAPE and a doubled quote stand for the next character and a quote; newlines
 * inside count as lines. Undefined when the closing quote never comes (the cursor is left at the field's start).
 */
function readEnclosedField(cursor: CsvCursor, quote: string): RawField | undefined {
  const { input, format } = cursor;
  const n = input.length;
  let value = '';
  let k = cursor.i + 1;
  let closed = false;
  while (k < n) {
    const ch = input[k] as string;
    if (format.escape !== undefined && ch === format.escape && k + 1 < n) {
      value += input[k + 1];
      k += 2;
      continue;
    }
    if (ch === quote) {
      if (input[k + 1] === quote) {
        value += quote;
        k += 2;
        continue;
      }
      closed = true;
      k++;
      break;
    }
    if (ch === '\n') cursor.line++;
    value += ch;
    k++;
  }
  if (!closed) return undefined;
  cursor.i = k;
  if (format.trimSpace) while (input[cursor.i] === ' ') cursor.i++;
  return { text: value, quoted: true, raw: value };
}

/** An unenclosed field at the cursor, up to the field or record delimiter; ESCAPE_UNENCLOSED_FIELD applies. */
function readUnenclosedField(cursor: CsvCursor): RawField {
  const { input, format } = cursor;
  const n = input.length;
  const escapeChar = format.escapeUnenclosedField;
  let value = '';
  let raw = '';
  while (
    cursor.i < n &&
    !input.startsWith(format.fieldDelimiter, cursor.i) &&
    recordDelimiterAt(input, cursor.i, format.recordDelimiter) === 0
  ) {
    const ch = input[cursor.i] as string;
    if (escapeChar !== undefined && ch === escapeChar && cursor.i + 1 < n) {
      const next = input[cursor.i + 1] as string;
      raw += ch + next;
      value += unescapeChar(next);
      cursor.i += 2;
      continue;
    }
    raw += ch;
    value += ch;
    cursor.i++;
  }
  return format.trimSpace
    ? { text: value.trim(), quoted: false, raw: raw.trim() }
    : { text: value, quoted: false, raw };
}

function unescapeChar(ch: string): string {
  switch (ch) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case '0':
      return '\0';
    default:
      return ch;
  }
}

/** Check a record's field count against the table (ERROR_ON_COLUMN_COUNT_MISMATCH). */
export function checkColumnCount(record: CsvRecord, expected: number, strict: boolean): CsvRecord | CsvParseFailure {
  if (record.fields.length === expected) return record;
  if (strict) {
    return new CsvParseFailure(
      `Number of columns in file (${record.fields.length}) does not match that of the corresponding table (${expected}), use file format option error_on_column_count_mismatch=false to ignore this error`,
      record.line,
      1,
    );
  }
  const fields = record.fields.slice(0, expected);
  while (fields.length < expected) fields.push(null);
  return { line: record.line, fields };
}

/** Guard against a format that cannot be parsed unambiguously. */
export function validateCsvFormat(format: CsvFileFormat): void {
  if (format.fieldDelimiter === format.recordDelimiter) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      'SQL compilation error:\nFIELD_DELIMITER and RECORD_DELIMITER must differ.',
    );
  }
}

/**
 * A staged file's bytes as text, the way Snowflake's ENCODING = UTF8 reads them: invalid UTF-8 fails the file
 * unless REPLACE_INVALID_CHARACTERS = TRUE, which turns each invalid sequence into U+FFFD.
 */
export function decodeCsvText(data: Buffer, format: CsvFileFormat): string | CsvParseFailure {
  if (format.replaceInvalidCharacters === true) return data.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    const lenient = data.toString('utf8');
    const before = lenient.slice(0, Math.max(0, lenient.indexOf('\ufffd')));
    return new CsvParseFailure(
      'Invalid UTF8 detected in string',
      before.split('\n').length,
      before.length - before.lastIndexOf('\n'),
    );
  }
}
