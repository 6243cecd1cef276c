import { SnowflakeEmulatorError } from '../emulator-error.js';
import { NodeReader } from './node-reader.js';
import { isOp, render, significant, splitOnCommas, type SqlNode } from './syntax-tree.js';

/** A CSV file format, with Snowflake's defaults for everything not given. */
export interface CsvFileFormat {
  readonly type: 'CSV';
  /** AUTO (by extension and magic bytes), GZIP, DEFLATE, RAW_DEFLATE, BROTLI, NONE. */
  readonly compression: string;
  readonly fieldDelimiter: string;
  readonly recordDelimiter: string;
  readonly skipHeader: number;
  /** The enclosing quote character, or undefined for NONE (Snowflake's default: quotes are data). */
  readonly fieldOptionallyEnclosedBy: string | undefined;
  /** Escape character inside enclosed fields (default NONE). */
  readonly escape: string | undefined;
  /** Escape character in unenclosed fields (default backslash). */
  readonly escapeUnenclosedField: string | undefined;
  /** Strings loaded as NULL (default `\N`). */
  readonly nullIf: readonly string[];
  /** An unenclosed empty field is NULL (default TRUE). */
  readonly emptyFieldAsNull: boolean;
  readonly errorOnColumnCountMismatch: boolean;
  readonly trimSpace: boolean;
  readonly skipBlankLines: boolean;
  readonly binaryFormat: 'HEX' | 'BASE64' | 'UTF8';
}

/** Snowflake's CSV defaults. */
export const DEFAULT_CSV_FORMAT: CsvFileFormat = {
  type: 'CSV',
  compression: 'AUTO',
  fieldDelimiter: ',',
  recordDelimiter: '\n',
  skipHeader: 0,
  fieldOptionallyEnclosedBy: undefined,
  escape: undefined,
  escapeUnenclosedField: '\\',
  nullIf: ['\\N'],
  emptyFieldAsNull: true,
  errorOnColumnCountMismatch: true,
  trimSpace: false,
  skipBlankLines: false,
  binaryFormat: 'HEX',
};

/** Parsed `FILE_FORMAT = ( … )`: either a reference to a named format or inline options. */
export type FileFormatSpec =
  | { readonly kind: 'named'; readonly name: string[] }
  | { readonly kind: 'inline'; readonly options: ReadonlyMap<string, FormatValue> };

/** A file format option value: a word (TRUE, GZIP, NONE), a string, a number or a list of strings. */
export type FormatValue =
  | { kind: 'word'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'list'; value: string[] }
  /** A nested option group such as FILE_FORMAT = ( TYPE = CSV … ); `nodes` are its contents. */
  | { kind: 'group'; value: string; nodes: readonly SqlNode[] };

/** Read `KEY = value` pairs from nodes (inside a `( … )` group, or a statement tail), stopping at unknown syntax. */
export function readOptions(reader: NodeReader, stopWords: readonly string[] = []): Map<string, FormatValue> {
  const options = new Map<string, FormatValue>();
  for (;;) {
    const next = reader.peek();
    if (next?.type !== 'token' || next.token.kind !== 'word' || stopWords.includes(next.token.value)) break;
    if (!isOp(reader.peek(1), '=')) break;
    const key = next.token.value;
    reader.take();
    reader.acceptOp('=');
    options.set(key, readValue(reader, key));
    reader.acceptOp(',');
  }
  return options;
}

function readValue(reader: NodeReader, key: string): FormatValue {
  const group = reader.acceptGroup();
  if (group?.children.some((n) => isOp(n, '='))) {
    return { kind: 'group', value: render(group.children).trim(), nodes: group.children };
  }
  if (group) {
    const items = significant(group.children).length === 0 ? [] : splitOnCommas(group.children);
    const list = items.map((item) => {
      const sig = significant(item);
      const only = sig[0];
      if (sig.length === 1 && only?.type === 'token' && only.token.kind === 'string') return only.token.value;
      throw SnowflakeEmulatorError.sql(
        '001003',
        '42000',
        `SQL compilation error:\ninvalid value ${render(item).trim()} in option ${key}.`,
      );
    });
    return { kind: 'list', value: list };
  }
  const node = reader.take();
  if (node?.type === 'token') {
    if (node.token.kind === 'string') return { kind: 'string', value: node.token.value };
    if (node.token.kind === 'number') return { kind: 'number', value: Number(node.token.value) };
    if (node.token.kind === 'word') return { kind: 'word', value: node.token.value };
    if (node.token.kind === 'op' && node.token.value === '-') {
      const n = reader.take();
      if (n?.type === 'token' && n.token.kind === 'number') return { kind: 'number', value: -Number(n.token.value) };
    }
  }
  throw SnowflakeEmulatorError.sql(
    '001003',
    '42000',
    `SQL compilation error:\nmissing or invalid value for option ${key}.`,
  );
}

/** Parse the inside of `FILE_FORMAT = ( … )`. */
export function parseFileFormatSpec(nodes: readonly SqlNode[]): FileFormatSpec {
  const reader = new NodeReader(nodes);
  const options = readOptions(reader);
  reader.expectEnd();
  const formatName = options.get('FORMAT_NAME');
  if (formatName) {
    const name = formatName.kind === 'string' || formatName.kind === 'word' ? String(formatName.value) : '';
    // a quoted part keeps its case; anything else resolves like an unquoted identifier
    return {
      kind: 'named',
      name: name.split('.').map((p) => (p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1) : p.toUpperCase())),
    };
  }
  return { kind: 'inline', options };
}

function text(value: FormatValue, key: string): string {
  if (value.kind === 'string') return value.value;
  if (value.kind === 'word') return value.value;
  if (value.kind === 'number') return String(value.value);
  throw SnowflakeEmulatorError.sql('001003', '42000', `SQL compilation error:\ninvalid value for ${key}.`);
}

function bool(value: FormatValue, key: string): boolean {
  const v = text(value, key).toUpperCase();
  if (v === 'TRUE') return true;
  if (v === 'FALSE') return false;
  throw SnowflakeEmulatorError.sql(
    '001003',
    '42000',
    `SQL compilation error:\ninvalid value '${v}' for ${key}: expected TRUE or FALSE.`,
  );
}

function charOrNone(value: FormatValue, key: string): string | undefined {
  if (value.kind === 'word' && value.value === 'NONE') return undefined;
  const v = text(value, key);
  if (v.length !== 1) {
    if (key === 'RECORD_DELIMITER' && v === '\r\n') return v;
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\ninvalid value '${v}' for ${key}: a single character or NONE.`,
    );
  }
  return v;
}

const SUPPORTED_OPTIONS = new Set([
  'TYPE',
  'COMPRESSION',
  'FIELD_DELIMITER',
  'RECORD_DELIMITER',
  'SKIP_HEADER',
  'FIELD_OPTIONALLY_ENCLOSED_BY',
  'ESCAPE',
  'ESCAPE_UNENCLOSED_FIELD',
  'NULL_IF',
  'EMPTY_FIELD_AS_NULL',
  'ERROR_ON_COLUMN_COUNT_MISMATCH',
  'TRIM_SPACE',
  'SKIP_BLANK_LINES',
  'BINARY_FORMAT',
  'ENCODING',
  'DATE_FORMAT',
  'TIME_FORMAT',
  'TIMESTAMP_FORMAT',
  'FILE_EXTENSION',
  'VALIDATE_UTF8',
  'SKIP_BYTE_ORDER_MARK',
  'REPLACE_INVALID_CHARACTERS',
  'PARSE_HEADER',
]);

/**
 * Apply inline options over a base format (Snowflake's defaults, or a named format). Options the emulator does
 * not implement with Snowflake's meaning (non-CSV types, custom date formats, non-UTF8 encodings) are refused.
 */
export function csvFormatFromOptions(
  options: ReadonlyMap<string, FormatValue>,
  base: CsvFileFormat = DEFAULT_CSV_FORMAT,
): CsvFileFormat {
  let f: { -readonly [K in keyof CsvFileFormat]: CsvFileFormat[K] } = { ...base };
  for (const [key, value] of options) {
    if (!SUPPORTED_OPTIONS.has(key)) throw SnowflakeEmulatorError.unsupported(`file format option ${key}`);
    switch (key) {
      case 'TYPE': {
        const t = text(value, key).toUpperCase();
        if (t !== 'CSV') throw SnowflakeEmulatorError.unsupported(`file format TYPE = ${t} (only CSV is implemented)`);
        break;
      }
      case 'COMPRESSION': {
        const c = text(value, key).toUpperCase();
        if (!['AUTO', 'GZIP', 'DEFLATE', 'RAW_DEFLATE', 'BROTLI', 'NONE'].includes(c)) {
          throw SnowflakeEmulatorError.unsupported(`COMPRESSION = ${c}`);
        }
        f = { ...f, compression: c };
        break;
      }
      case 'FIELD_DELIMITER': {
        const d = charOrNone(value, key);
        if (d === undefined) throw SnowflakeEmulatorError.unsupported('FIELD_DELIMITER = NONE');
        f = { ...f, fieldDelimiter: d };
        break;
      }
      case 'RECORD_DELIMITER': {
        const d = charOrNone(value, key);
        if (d === undefined) throw SnowflakeEmulatorError.unsupported('RECORD_DELIMITER = NONE');
        f = { ...f, recordDelimiter: d };
        break;
      }
      case 'SKIP_HEADER':
        f = { ...f, skipHeader: Number(text(value, key)) };
        break;
      case 'FIELD_OPTIONALLY_ENCLOSED_BY':
        f = { ...f, fieldOptionallyEnclosedBy: charOrNone(value, key) };
        break;
      case 'ESCAPE':
        f = { ...f, escape: charOrNone(value, key) };
        break;
      case 'ESCAPE_UNENCLOSED_FIELD':
        f = { ...f, escapeUnenclosedField: charOrNone(value, key) };
        break;
      case 'NULL_IF':
        f = { ...f, nullIf: value.kind === 'list' ? value.value : [text(value, key)] };
        break;
      case 'EMPTY_FIELD_AS_NULL':
        f = { ...f, emptyFieldAsNull: bool(value, key) };
        break;
      case 'ERROR_ON_COLUMN_COUNT_MISMATCH':
        f = { ...f, errorOnColumnCountMismatch: bool(value, key) };
        break;
      case 'TRIM_SPACE':
        f = { ...f, trimSpace: bool(value, key) };
        break;
      case 'SKIP_BLANK_LINES':
        f = { ...f, skipBlankLines: bool(value, key) };
        break;
      case 'BINARY_FORMAT': {
        const b = text(value, key).toUpperCase();
        if (b !== 'HEX' && b !== 'BASE64' && b !== 'UTF8')
          throw SnowflakeEmulatorError.unsupported(`BINARY_FORMAT = ${b}`);
        f = { ...f, binaryFormat: b };
        break;
      }
      case 'ENCODING': {
        const e = text(value, key).toUpperCase().replace('-', '');
        if (e !== 'UTF8') throw SnowflakeEmulatorError.unsupported(`ENCODING = ${e}`);
        break;
      }
      case 'DATE_FORMAT':
      case 'TIME_FORMAT':
      case 'TIMESTAMP_FORMAT': {
        const v = text(value, key).toUpperCase();
        if (v !== 'AUTO') throw SnowflakeEmulatorError.unsupported(`${key} other than AUTO`);
        break;
      }
      case 'PARSE_HEADER':
        if (bool(value, key)) throw SnowflakeEmulatorError.unsupported('PARSE_HEADER = TRUE');
        break;
      default:
        // FILE_EXTENSION, VALIDATE_UTF8, SKIP_BYTE_ORDER_MARK, REPLACE_INVALID_CHARACTERS: no effect on loading here
        break;
    }
  }
  return f;
}

/** A string (or word) option's value, e.g. PATTERN = '.*csv'. */
export function optionText(options: ReadonlyMap<string, FormatValue>, key: string): string | undefined {
  const v = options.get(key);
  if (!v) return undefined;
  if (v.kind === 'string' || v.kind === 'word') return String(v.value);
  throw SnowflakeEmulatorError.sql('001003', '42000', `SQL compilation error:\n${key} must be a string.`);
}

/** A TRUE/FALSE option's value. */
export function optionFlag(options: ReadonlyMap<string, FormatValue>, key: string, fallback: boolean): boolean {
  const v = options.get(key);
  if (!v) return fallback;
  const text = String(v.value).toUpperCase();
  if (text === 'TRUE') return true;
  if (text === 'FALSE') return false;
  throw SnowflakeEmulatorError.sql('001003', '42000', `SQL compilation error:\n${key} must be TRUE or FALSE.`);
}
