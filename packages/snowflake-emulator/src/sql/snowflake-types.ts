import { SnowflakeEmulatorError } from '../emulator-error.js';

/** A Snowflake column type as declared, and the DuckDB type that stores it. */
export interface MappedType {
  /** DuckDB type text, e.g. `DECIMAL(10,2)`, `TIMESTAMPTZ`, `JSON`. */
  readonly duckdb: string;
  /** Snowflake's canonical name of the declared type, e.g. `NUMBER(10,2)`, `TIMESTAMP_TZ(9)`, `VARCHAR(100)`. */
  readonly snowflake: string;
}

const MAX_TEXT = 16777216;
const MAX_BINARY = 8388608;

/** Multi-word type names, longest first, mapped to one canonical word. */
const MULTI_WORD: readonly (readonly [readonly string[], string])[] = [
  [['TIMESTAMP', 'WITH', 'LOCAL', 'TIME', 'ZONE'], 'TIMESTAMP_LTZ'],
  [['TIMESTAMP', 'WITHOUT', 'TIME', 'ZONE'], 'TIMESTAMP_NTZ'],
  [['TIMESTAMP', 'WITH', 'TIME', 'ZONE'], 'TIMESTAMP_TZ'],
  [['DOUBLE', 'PRECISION'], 'DOUBLE'],
  [['CHARACTER', 'VARYING'], 'VARCHAR'],
  [['CHAR', 'VARYING'], 'VARCHAR'],
  [['NCHAR', 'VARYING'], 'VARCHAR'],
];

/** How many leading words of `words` form one type name, and its canonical spelling. */
export function canonicalTypeName(words: readonly string[]): { name: string; length: number } | undefined {
  for (const [pattern, name] of MULTI_WORD) {
    if (pattern.every((w, i) => words[i] === w)) return { name, length: pattern.length };
  }
  const first = words[0];
  return first === undefined ? undefined : { name: first, length: 1 };
}

/**
 * Map a Snowflake type (canonical name and numeric parameters) to the DuckDB type that stores it.
 * `NUMBER(p,s)` → `DECIMAL(p,s)`; the integer synonyms are `NUMBER(38,0)`; all floats are `DOUBLE`; text types are
 * `VARCHAR`; `TIMESTAMP`/`_NTZ` → `TIMESTAMP`, `_LTZ`/`_TZ` → `TIMESTAMPTZ` (microseconds: DuckDB keeps no more);
 * `VARIANT`/`OBJECT`/`ARRAY` → `JSON`. Types DuckDB cannot stand in for are an "unsupported feature" error.
 */
export function mapSnowflakeType(name: string, params: readonly number[]): MappedType {
  const p0 = params[0];
  const p1 = params[1];
  switch (name) {
    case 'NUMBER':
    case 'NUMERIC':
    case 'DECIMAL':
    case 'DEC': {
      const precision = p0 ?? 38;
      const scale = p1 ?? 0;
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision || scale > 37) {
        throw SnowflakeEmulatorError.sql(
          '001003',
          '42000',
          `SQL compilation error:\nInvalid number precision or scale: NUMBER(${precision},${scale}); precision must be between 1 and 38 and scale between 0 and the precision.`,
        );
      }
      return { duckdb: `DECIMAL(${precision},${scale})`, snowflake: `NUMBER(${precision},${scale})` };
    }
    case 'INT':
    case 'INTEGER':
    case 'BIGINT':
    case 'SMALLINT':
    case 'TINYINT':
    case 'BYTEINT':
      return { duckdb: 'DECIMAL(38,0)', snowflake: 'NUMBER(38,0)' };
    case 'FLOAT':
    case 'FLOAT4':
    case 'FLOAT8':
    case 'DOUBLE':
    case 'REAL':
      return { duckdb: 'DOUBLE', snowflake: 'FLOAT' };
    case 'VARCHAR':
    case 'STRING':
    case 'TEXT':
    case 'NVARCHAR':
    case 'NVARCHAR2':
      return { duckdb: 'VARCHAR', snowflake: `VARCHAR(${p0 ?? MAX_TEXT})` };
    case 'CHAR':
    case 'CHARACTER':
    case 'NCHAR':
      return { duckdb: 'VARCHAR', snowflake: `VARCHAR(${p0 ?? 1})` };
    case 'BINARY':
    case 'VARBINARY':
      return { duckdb: 'BLOB', snowflake: `BINARY(${p0 ?? MAX_BINARY})` };
    case 'BOOLEAN':
      return { duckdb: 'BOOLEAN', snowflake: 'BOOLEAN' };
    case 'DATE':
      return { duckdb: 'DATE', snowflake: 'DATE' };
    case 'TIME':
      return { duckdb: 'TIME', snowflake: `TIME(${p0 ?? 9})` };
    case 'DATETIME':
    case 'TIMESTAMP':
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMPNTZ':
      return { duckdb: 'TIMESTAMP', snowflake: `TIMESTAMP_NTZ(${p0 ?? 9})` };
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMPLTZ':
      return { duckdb: 'TIMESTAMPTZ', snowflake: `TIMESTAMP_LTZ(${p0 ?? 9})` };
    case 'TIMESTAMP_TZ':
    case 'TIMESTAMPTZ':
      return { duckdb: 'TIMESTAMPTZ', snowflake: `TIMESTAMP_TZ(${p0 ?? 9})` };
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      if (params.length > 0) throw SnowflakeEmulatorError.unsupported(`structured type ${name}(...)`);
      return { duckdb: 'JSON', snowflake: name };
    default:
      throw SnowflakeEmulatorError.unsupported(`data type ${name}`);
  }
}

/** One column of Snowflake's `rowtype` array in a query response. */
export interface RowType {
  readonly name: string;
  readonly database: string;
  readonly schema: string;
  readonly table: string;
  readonly type: SnowflakeResultType;
  readonly nullable: boolean;
  readonly length: number | null;
  readonly byteLength: number | null;
  readonly precision: number | null;
  readonly scale: number | null;
  readonly collation: null;
}

/** The `type` values of Snowflake's rowtype (what snowflake-sdk decodes by). */
export type SnowflakeResultType =
  | 'fixed'
  | 'real'
  | 'text'
  | 'binary'
  | 'boolean'
  | 'date'
  | 'time'
  | 'timestamp_ntz'
  | 'timestamp_ltz'
  | 'timestamp_tz'
  | 'variant'
  | 'object'
  | 'array';

/** A rowtype entry for a result column of a given Snowflake type. */
export function rowType(
  name: string,
  type: SnowflakeResultType,
  options: { precision?: number; scale?: number; length?: number; nullable?: boolean } = {},
): RowType {
  const base = {
    name,
    database: '',
    schema: '',
    table: '',
    type,
    nullable: options.nullable ?? true,
    collation: null,
  } as const;
  switch (type) {
    case 'fixed':
      return { ...base, length: null, byteLength: null, precision: options.precision ?? 38, scale: options.scale ?? 0 };
    case 'text': {
      const length = options.length ?? MAX_TEXT;
      return { ...base, length, byteLength: Math.min(length * 4, MAX_TEXT), precision: null, scale: null };
    }
    case 'binary': {
      const length = options.length ?? MAX_BINARY;
      return { ...base, length, byteLength: length, precision: null, scale: null };
    }
    case 'time':
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz':
      return { ...base, length: null, byteLength: null, precision: 0, scale: options.scale ?? 9 };
    case 'variant':
    case 'object':
    case 'array':
      return { ...base, length: MAX_TEXT, byteLength: MAX_TEXT, precision: null, scale: null };
    default:
      return { ...base, length: null, byteLength: null, precision: null, scale: null };
  }
}

/** The Snowflake result type a declared Snowflake type name (as kept in the catalog) reads back as. */
export function resultTypeOfDeclared(declared: string): { type: SnowflakeResultType; params: number[] } | undefined {
  const match = /^([A-Z_]+)(?:\((\d+)(?:,(\d+))?\))?$/.exec(declared);
  if (!match) return undefined;
  const params = [match[2], match[3]].filter((p): p is string => p !== undefined).map(Number);
  switch (match[1]) {
    case 'TIMESTAMP_TZ':
      return { type: 'timestamp_tz', params };
    case 'TIMESTAMP_LTZ':
      return { type: 'timestamp_ltz', params };
    case 'TIMESTAMP_NTZ':
      return { type: 'timestamp_ntz', params };
    case 'OBJECT':
      return { type: 'object', params };
    case 'ARRAY':
      return { type: 'array', params };
    case 'VARIANT':
      return { type: 'variant', params };
    case 'VARCHAR':
      return { type: 'text', params };
    case 'BINARY':
      return { type: 'binary', params };
    case 'TIME':
      return { type: 'time', params };
    default:
      return undefined;
  }
}
