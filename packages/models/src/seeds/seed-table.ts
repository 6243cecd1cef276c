import type { LogicalType } from '@sluice/warehouse';
import { ModelsError } from '../models-error.js';

/**
 * A seed's CSV as it is loaded: the header's column names, each column's type, and the rows as text (`null` for
 * an empty field or `null`), already normalized for a `CAST` from text (numbers without group separators, dates
 * zero-padded).
 */
export interface SeedTable {
  readonly columns: readonly SeedColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** One column of a seed: its name in the CSV header and its type, inferred or given by `column_types`. */
export interface SeedColumn {
  readonly name: string;
  /** Inferred: a logical type the engine spells (`dialect.typeName`); `column_types`: the SQL type as written. */
  readonly type: { readonly inferred: LogicalType } | { readonly sql: string };
}

/** What dbt's type inference (agate's type tester) decides for a column, tried in this order. */
type Inferred = 'integer' | 'number' | 'date' | 'datetime' | 'isodatetime' | 'boolean' | 'text';

const NUMBER = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?$/;
const EXPONENT = /^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;
const DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const DATETIME = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const INT32 = 2_147_483_647n;
const INT64 = 9_223_372_036_854_775_807n;

/**
 * Parse a seed's CSV and type its columns the way dbt does (agate's type tester, dbt's order): a column is a
 * number when every value is one — whole numbers make `integer` (`bigint` beyond 32 bits, `decimal(38,0)` beyond
 * 64, where dbt would overflow), any decimals make `double` (dbt's `float8`) — else a date (`%Y-%m-%d`), else a
 * timestamp (`%Y-%m-%d %H:%M:%S`, or ISO 8601 with `T`), else a boolean (`true`/`false`, any case), else text. A
 * column with no value at all is `integer`, as in dbt. Empty fields and `null` (any case) are NULL. Columns named
 * in `columnTypes` are read as text and get that SQL type. Pure.
 *
 * @example readSeedTable('id,name\n1,Ann\n', { file: 'seeds/people.csv' }).columns // [{ name: 'id', … integer }, …]
 */
export function readSeedTable(
  text: string,
  options: {
    readonly file: string;
    readonly delimiter?: string;
    readonly columnTypes?: Readonly<Record<string, string>>;
  },
): SeedTable {
  const records = parseCsv(text.startsWith('\ufeff') ? text.slice(1) : text, options.delimiter ?? ',', options.file);
  const header = records[0];
  if (header === undefined || header.fields.every((f) => f.trim() === ''))
    throw new ModelsError('INVALID_SEED', `${options.file}: the seed is empty; its first line must name the columns.`);
  const names = header.fields.map((f) => f.trim());
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '')
      throw new ModelsError(
        'INVALID_SEED',
        `${options.file}:${header.line}: column ${i + 1} of the header has no name.`,
      );
    if (seen.has(name.toLowerCase()))
      throw new ModelsError('INVALID_SEED', `${options.file}:${header.line}: the column ${name} is named twice.`);
    seen.add(name.toLowerCase());
  });
  const body = records.slice(1);
  for (const record of body) {
    if (record.fields.length !== names.length)
      throw new ModelsError(
        'INVALID_SEED',
        `${options.file}:${record.line}: ${record.fields.length} fields where the header has ${names.length}.`,
      );
  }
  const columnTypes = options.columnTypes ?? {};
  for (const key of Object.keys(columnTypes)) {
    if (!names.includes(key))
      throw new ModelsError(
        'INVALID_SEED',
        `${options.file}: column_types names ${key}, which is not a column of the seed (${names.join(', ')}).`,
      );
  }
  const rows: (string | null)[][] = body.map(() => []);
  const columns: SeedColumn[] = names.map((name, c) => {
    const raw = body.map((record) => record.fields[c] as string);
    const values = raw.map((v) => (isNull(v) ? null : v));
    const forced = columnTypes[name];
    let type: SeedColumn['type'];
    let normalized: (string | null)[];
    if (forced !== undefined) {
      type = { sql: forced };
      normalized = values;
    } else {
      const inferred = infer(values);
      type = { inferred: logicalTypeOf(inferred, values) };
      normalized = values.map((v) => (v === null ? null : normalize(inferred, v)));
    }
    normalized.forEach((v, r) => {
      (rows[r] as (string | null)[])[c] = v;
    });
    return { name, type };
  });
  return { columns, rows };
}

function isNull(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === '' || v === 'null';
}

function infer(values: readonly (string | null)[]): Inferred {
  const present = values.filter((v): v is string => v !== null).map((v) => v.trim());
  if (present.length === 0) return 'integer';
  // dbt's float8 when any value has digits after the point (even `1.0`); an exponent is taken as decimals too.
  if (present.every(isNumber)) return present.some((v) => EXPONENT.test(v) || /\.\d/.test(v)) ? 'number' : 'integer';
  if (present.every((v) => validDate(DATE.exec(v)))) return 'date';
  if (present.every((v) => validDate(DATETIME.exec(v)) && validTime(DATETIME.exec(v), 4))) return 'datetime';
  if (present.every((v) => validDate(ISO_DATETIME.exec(v)) && validTime(ISO_DATETIME.exec(v), 4))) return 'isodatetime';
  if (present.every((v) => /^(true|false)$/i.test(v))) return 'boolean';
  return 'text';
}

function isNumber(value: string): boolean {
  return (NUMBER.test(value) && /\d/.test(value)) || EXPONENT.test(value);
}

function validDate(m: RegExpExecArray | null): boolean {
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validTime(m: RegExpExecArray | null, from: number): boolean {
  if (m === null) return false;
  const [h, mi, s] = [Number(m[from]), Number(m[from + 1]), Number(m[from + 2] ?? 0)];
  return h < 24 && mi < 60 && s < 60;
}

/** The type of a column: whole numbers by their range, decimals as double, the rest as inferred. */
function logicalTypeOf(inferred: Inferred, values: readonly (string | null)[]): LogicalType {
  switch (inferred) {
    case 'integer': {
      let widest = 0n;
      for (const v of values) {
        if (v === null) continue;
        const n = BigInt(plainDigits(v));
        const magnitude = n < 0n ? -n - 1n : n;
        if (magnitude > widest) widest = magnitude;
      }
      return widest <= INT32
        ? { kind: 'integer' }
        : widest <= INT64
          ? { kind: 'bigint' }
          : { kind: 'decimal', precision: 38, scale: 0 };
    }
    case 'number':
      return { kind: 'double' };
    case 'date':
      return { kind: 'date' };
    case 'datetime':
    case 'isodatetime':
      return { kind: 'timestamp' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'text':
      return { kind: 'text' };
  }
}

/** `+1,234.50` → `1234.50`; whole numbers lose a trailing `.` / `.000`. */
function plainDigits(value: string): string {
  let v = value.trim().replaceAll(',', '');
  if (v.startsWith('+')) v = v.slice(1);
  if (v.includes('.')) v = v.replace(/\.0*$/, '');
  if (v.startsWith('.')) v = `0${v}`;
  if (v.startsWith('-.')) v = `-0${v.slice(1)}`;
  return v === '' || v === '-' ? '0' : v;
}

function pad(value: string | undefined, width = 2): string {
  return (value ?? '0').padStart(width, '0');
}

/** A value as text a `CAST` reads the same way on every engine. */
function normalize(inferred: Inferred, value: string): string {
  const v = value.trim();
  switch (inferred) {
    case 'integer':
    case 'number':
      return EXPONENT.test(v) ? v : plainDigits(v);
    case 'date': {
      const m = DATE.exec(v) as RegExpExecArray;
      return `${m[1]}-${pad(m[2])}-${pad(m[3])}`;
    }
    case 'datetime': {
      const m = DATETIME.exec(v) as RegExpExecArray;
      return `${m[1]}-${pad(m[2])}-${pad(m[3])} ${pad(m[4])}:${pad(m[5])}:${pad(m[6])}`;
    }
    case 'isodatetime':
      return v.replace('T', ' ');
    case 'boolean':
      return v.toLowerCase();
    case 'text':
      return value;
  }
}

/** One CSV record and the line it starts on. */
interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/**
 * RFC 4180 CSV: fields separated by `delimiter`, records by `\n` or `\r\n`, fields quoted with `"` (a quote inside
 * doubled) may hold either. Blank lines are skipped.
 */
function parseCsv(text: string, delimiter: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false;
  const endRecord = () => {
    fields.push(field);
    if (touched || fields.length > 1 || field !== '') records.push({ line: start, fields });
    fields = [];
    field = '';
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      touched = true;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
      touched = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new ModelsError('INVALID_SEED', `${file}:${start}: a quoted field is not closed.`);
  if (field !== '' || fields.length > 0 || touched) endRecord();
  return records;
}
