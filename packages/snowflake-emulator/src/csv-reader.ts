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

/**
 * Parse CSV text the way Snowflake's CSV file format options say: FIELD_OPTIONALLY_ENCLOSED_BY (quotes are data
 * when NONE), ESCAPE inside enclosed fields, ESCAPE_UNENCLOSED_FIELD (backslash by default), NULL_IF (`\N` by
 * default, compared with the field text), EMPTY_FIELD_AS_NULL (only an unenclosed empty field), SKIP_HEADER,
 * TRIM_SPACE, SKIP_BLANK_LINES. A malformed record yields a CsvParseFailure in place of the record.
 */
export function parseCsv(text: string, format: CsvFileFormat): (CsvRecord | CsvParseFailure)[] {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: (CsvRecord | CsvParseFailure)[] = [];
  const delimiter = format.fieldDelimiter;
  const recordDelimiter = format.recordDelimiter;
  const quote = format.fieldOptionallyEnclosedBy;
  const escapeChar = format.escape;
  const escapeUnenclosed = format.escapeUnenclosedField;
  let i = 0;
  let line = 1;
  let skipped = 0;
  const n = input.length;

  const atRecordEnd = (k: number): boolean => input.startsWith(recordDelimiter, k);

  while (i < n) {
    const recordLine = line;
    const recordStart = i;
    const fields: { text: string; quoted: boolean; raw: string }[] = [];
    let failure: CsvParseFailure | undefined;
    let blank = atRecordEnd(i);
    for (;;) {
      // one field
      if (quote !== undefined && input[i] === quote) {
        let value = '';
        let k = i + 1;
        let closed = false;
        while (k < n) {
          const ch = input[k] as string;
          if (escapeChar !== undefined && ch === escapeChar && k + 1 < n) {
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
          if (ch === '\n') line++;
          value += ch;
          k++;
        }
        if (!closed) {
          failure = new CsvParseFailure(
            'Unexpected end of file while reading an enclosed field (missing closing quote)',
            recordLine,
            i - recordStart + 1,
          );
          i = n;
          break;
        }
        i = k;
        if (format.trimSpace) while (input[i] === ' ') i++;
        fields.push({ text: value, quoted: true, raw: value });
        blank = false;
      } else {
        let value = '';
        let raw = '';
        while (i < n && !input.startsWith(delimiter, i) && !atRecordEnd(i)) {
          const ch = input[i] as string;
          if (escapeUnenclosed !== undefined && ch === escapeUnenclosed && i + 1 < n) {
            const next = input[i + 1] as string;
            raw += ch + next;
            value += unescapeChar(next);
            i += 2;
            continue;
          }
          raw += ch;
          value += ch;
          i++;
        }
        if (format.trimSpace) {
          value = value.trim();
          raw = raw.trim();
        }
        fields.push({ text: value, quoted: false, raw });
        if (value !== '') blank = false;
      }
      if (i >= n) break;
      if (input.startsWith(delimiter, i)) {
        i += delimiter.length;
        blank = false;
        continue;
      }
      if (atRecordEnd(i)) {
        if (recordDelimiter === '\n') line++;
        i += recordDelimiter.length;
        break;
      }
      failure = new CsvParseFailure(
        `Found character '${input[i]}' instead of field delimiter '${delimiter}'`,
        recordLine,
        i - recordStart + 1,
      );
      // resynchronise at the next record delimiter
      const next = input.indexOf(recordDelimiter, i);
      i = next < 0 ? n : next + recordDelimiter.length;
      line++;
      break;
    }
    if (skipped < format.skipHeader) {
      skipped++;
      continue;
    }
    if (failure) {
      out.push(failure);
      continue;
    }
    if (blank && fields.length === 1 && format.skipBlankLines) continue;
    out.push({
      line: recordLine,
      fields: fields.map((f) => {
        if (format.nullIf.includes(f.quoted ? f.text : f.raw)) return null;
        if (!f.quoted && f.text === '' && format.emptyFieldAsNull) return null;
        return f.text;
      }),
    });
  }
  return out;
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
