import { SnowflakeEmulatorError } from '../emulator-error.js';
import { NodeReader } from './node-reader.js';
import { isOp, render, significant, splitOnCommas, type SqlNode } from './syntax-tree.js';

/** A CSV file format, with Snowflake's defaults for everything not given. */
export interface CsvFileFormat {
  readonly type: 'CSV';
  /** AUTO (by extension and magic bytes), GZIP, DEFLATE, RAW_DEFLATE, BROTLI, NONE. */
  readonly compression: string;
  readonly fieldDelimiter: string;
  /** `\n` (the default) is Snowflake's logical new line: outside an enclosed field, `\r\n` ends a record too. */
  readonly recordDelimiter: string;
  /** A record delimiter inside an enclosed field is data (default TRUE); FALSE makes it an error. */
  readonly multiLine: boolean;
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
  /** A UTF-8 byte order mark at the start of a file is dropped (default TRUE); FALSE keeps it as data. */
  readonly skipByteOrderMark: boolean;
  /** Invalid UTF-8 is replaced by U+FFFD (TRUE) or fails the file (FALSE, the default). */
  readonly replaceInvalidCharacters: boolean;
  readonly binaryFormat: 'HEX' | 'BASE64' | 'UTF8';
}

/** Snowflake's CSV defaults. */
export const DEFAULT_CSV_FORMAT: CsvFileFormat = {
  type: 'CSV',
  compression: 'AUTO',
  fieldDelimiter: ',',
  recordDelimiter: '\n',
  multiLine: true,
  skipHeader: 0,
  fieldOptionallyEnclosedBy: undefined,
  escape: undefined,
  escapeUnenclosedField: '\\',
  nullIf: ['\\N'],
  emptyFieldAsNull: true,
  errorOnColumnCountMismatch: true,
  trimSpace: false,
  skipBlankLines: false,
  skipByteOrderMark: true,
  replaceInvalidCharacters: false,
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

/** A CSV delimiter: one character (or `\r\n` for records), never NONE here. */
function delimiter(value: FormatValue, key: string): string {
  const d = charOrNone(value, key);
  if (d === undefined) throw SnowflakeEmulatorError.unsupported(`${key} = NONE`);
  return d;
}

/** A word among `allowed` (compared upper-cased), else the option with that value is unsupported. */
function oneOf<T extends string>(value: FormatValue, key: string, allowed: readonly T[]): T {
  const v = text(value, key).toUpperCase();
  if (!(allowed as readonly string[]).includes(v)) throw SnowflakeEmulatorError.unsupported(`${key} = ${v}`);
  return v as T;
}

/** What one file format option does: the fields of the format it sets (none for an option only checked). */
type FormatOption = (value: FormatValue, key: string) => Partial<CsvFileFormat>;

/** Accepted with no effect on loading here. */
const NO_EFFECT: FormatOption = () => ({});

/** Only AUTO: custom date and time formats are not implemented. */
const AUTO_ONLY: FormatOption = (value, key) => {
  if (text(value, key).toUpperCase() !== 'AUTO') throw SnowflakeEmulatorError.unsupported(`${key} other than AUTO`);
  return {};
};

/**
 * The CSV options the emulator implements with Snowflake's meaning, and what each sets. An option not listed
 * is refused by name; a new one is a row here (and a field of CsvFileFormat when it changes how files are read).
 */
const FORMAT_OPTIONS: Readonly<Record<string, FormatOption>> = {
  TYPE: (value, key) => {
    const t = text(value, key).toUpperCase();
    if (t !== 'CSV') throw SnowflakeEmulatorError.unsupported(`file format TYPE = ${t} (only CSV is implemented)`);
    return {};
  },
  COMPRESSION: (value, key) => ({
    compression: oneOf(value, key, ['AUTO', 'GZIP', 'DEFLATE', 'RAW_DEFLATE', 'BROTLI', 'NONE']),
  }),
  FIELD_DELIMITER: (value, key) => ({ fieldDelimiter: delimiter(value, key) }),
  RECORD_DELIMITER: (value, key) => ({ recordDelimiter: delimiter(value, key) }),
  MULTI_LINE: (value, key) => ({ multiLine: bool(value, key) }),
  SKIP_HEADER: (value, key) => ({ skipHeader: Number(text(value, key)) }),
  FIELD_OPTIONALLY_ENCLOSED_BY: (value, key) => ({ fieldOptionallyEnclosedBy: charOrNone(value, key) }),
  ESCAPE: (value, key) => ({ escape: charOrNone(value, key) }),
  ESCAPE_UNENCLOSED_FIELD: (value, key) => ({ escapeUnenclosedField: charOrNone(value, key) }),
  NULL_IF: (value, key) => ({ nullIf: value.kind === 'list' ? value.value : [text(value, key)] }),
  EMPTY_FIELD_AS_NULL: (value, key) => ({ emptyFieldAsNull: bool(value, key) }),
  ERROR_ON_COLUMN_COUNT_MISMATCH: (value, key) => ({ errorOnColumnCountMismatch: bool(value, key) }),
  TRIM_SPACE: (value, key) => ({ trimSpace: bool(value, key) }),
  SKIP_BLANK_LINES: (value, key) => ({ skipBlankLines: bool(value, key) }),
  BINARY_FORMAT: (value, key) => ({ binaryFormat: oneOf(value, key, ['HEX', 'BASE64', 'UTF8']) }),
  ENCODING: (value, key) => {
    const e = text(value, key).toUpperCase().replace('-', '');
    if (e !== 'UTF8') throw SnowflakeEmulatorError.unsupported(`ENCODING = ${e}`);
    return {};
  },
  DATE_FORMAT: AUTO_ONLY,
  TIME_FORMAT: AUTO_ONLY,
  TIMESTAMP_FORMAT: AUTO_ONLY,
  PARSE_HEADER: (value, key) => {
    if (bool(value, key)) throw SnowflakeEmulatorError.unsupported('PARSE_HEADER = TRUE');
    return {};
  },
  FILE_EXTENSION: NO_EFFECT,
  VALIDATE_UTF8: NO_EFFECT,
  SKIP_BYTE_ORDER_MARK: (value, key) => ({ skipByteOrderMark: bool(value, key) }),
  REPLACE_INVALID_CHARACTERS: (value, key) => ({ replaceInvalidCharacters: bool(value, key) }),
};

/**
 * Apply inline options over a base format (Snowflake's defaults, or a named format). Options the emulator does
 * not implement with Snowflake's meaning (non-CSV types, custom date formats, non-UTF8 encodings) are refused.
 */
export function csvFormatFromOptions(
  options: ReadonlyMap<string, FormatValue>,
  base: CsvFileFormat = DEFAULT_CSV_FORMAT,
): CsvFileFormat {
  let format: CsvFileFormat = { ...base };
  for (const [key, value] of options) {
    const option = FORMAT_OPTIONS[key];
    if (!option) throw SnowflakeEmulatorError.unsupported(`file format option ${key}`);
    format = { ...format, ...option(value, key) };
  }
  return format;
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
