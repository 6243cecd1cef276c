import type { DatePart, LogicalType, SqlDialect } from '@sluice/warehouse';
import { bindArguments } from './call-arguments.js';

const DATE_PARTS: readonly DatePart[] = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'];

function datePart(macro: string, value: unknown): DatePart {
  const part = String(value).trim().toLowerCase().replace(/^'|'$/g, '') as DatePart;
  if (!DATE_PARTS.includes(part)) {
    throw new Error(`${macro}: "${String(value)}" is not a date part; use one of ${DATE_PARTS.join(', ')}.`);
  }
  return part;
}

function required(macro: string, bound: Record<string, unknown>, name: string): string {
  const value = bound[name];
  if (value === undefined || value === null) throw new Error(`${macro}: the argument "${name}" is missing.`);
  return String(value);
}

/**
 * A type written in a template (`decimal(10,2)`, `varchar`, `timestamp`) as a logical type, so each engine
 * spells it its own way; `undefined` when the name is not one of the portable types (it is then used as written).
 */
export function parseTypeSpec(spec: string): LogicalType | undefined {
  const s = spec.trim().toLowerCase().replace(/\s+/g, ' ');
  const sized = /^([a-z_ ]+?)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(s);
  const base = sized ? (sized[1] as string).trim() : s;
  const n = sized ? Number(sized[2]) : undefined;
  const m = sized?.[3] === undefined ? undefined : Number(sized[3]);
  switch (base) {
    case 'decimal':
    case 'numeric':
    case 'number':
      return n === undefined ? { kind: 'decimal' } : { kind: 'decimal', precision: n, scale: m ?? 0 };
    case 'varchar':
    case 'text':
    case 'string':
    case 'character varying':
      return n === undefined ? { kind: 'text' } : { kind: 'text', maxLength: n };
    case 'char':
    case 'character':
      return { kind: 'char', length: n ?? 1 };
    case 'int':
    case 'integer':
    case 'int4':
      return { kind: 'integer' };
    case 'bigint':
    case 'int8':
      return { kind: 'bigint' };
    case 'smallint':
    case 'int2':
      return { kind: 'smallint' };
    case 'float':
    case 'double':
    case 'float8':
    case 'double precision':
      return { kind: 'double' };
    case 'real':
    case 'float4':
      return { kind: 'real' };
    case 'bool':
    case 'boolean':
      return { kind: 'boolean' };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
    case 'datetime':
    case 'timestamp_ntz':
      return { kind: 'timestamp' };
    case 'timestamptz':
    case 'timestamp_tz':
    case 'timestamp with time zone':
      return { kind: 'timestamptz' };
    case 'time':
      return { kind: 'time' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'json':
      return { kind: 'json' };
    default:
      return undefined;
  }
}

/** The engine's name for a type written in a template. */
export function typeSql(dialect: SqlDialect, spec: string): string {
  const logical = parseTypeSpec(spec);
  return logical === undefined ? spec : dialect.typeName(logical);
}

/** Default SQL of the date macros and `initcap` when the dialect does not override them: DuckDB syntax. */
const defaults = {
  dateAdd(part: DatePart, amount: string, expression: string): string {
    const unit = part === 'quarter' ? '3 month' : part === 'week' ? '7 day' : `1 ${part}`;
    return `(${expression} + (${amount}) * interval '${unit}')`;
  },
  dateDiff(part: DatePart, start: string, end: string): string {
    return `date_diff('${part}', ${start}, ${end})`;
  },
  dateTrunc(part: DatePart, expression: string): string {
    return `date_trunc('${part}', ${expression})`;
  },
  tryCast(expression: string, type: string): string {
    return `try_cast(${expression} as ${type})`;
  },
  initCap(expression: string): string {
    return `array_to_string(list_transform(string_split(lower(${expression}), ' '), lambda w: upper(w[1]) || w[2:]), ' ')`;
  },
};

/** A template function: receives nunjucks arguments, returns SQL text. */
export type TemplateFunction = (...args: unknown[]) => unknown;

/**
 * The cross-engine macros every template can call, bound to the dialect of the render in progress
 * (`dialect()` is read at call time). Also reachable as `dbt.x(...)` and `dbt_utils.x(...)` so dbt models run
 * unchanged. All take and return SQL text: `{{ dateadd('day', 7, 'data_venda') }}`.
 */
export function crossEngineMacros(dialect: () => SqlDialect): Record<string, TemplateFunction> {
  const macros: Record<string, TemplateFunction> = {
    dateadd: (...args) => {
      const b = bindArguments(['datepart', 'interval', 'from_date_or_timestamp'], args);
      const part = datePart('dateadd', required('dateadd', b, 'datepart'));
      const amount = required('dateadd', b, 'interval');
      const expression = required('dateadd', b, 'from_date_or_timestamp');
      const d = dialect();
      return d.dateAdd ? d.dateAdd(part, amount, expression) : defaults.dateAdd(part, amount, expression);
    },
    datediff: (...args) => {
      const b = bindArguments(['first_date', 'second_date', 'datepart'], args);
      const part = datePart('datediff', required('datediff', b, 'datepart'));
      const start = required('datediff', b, 'first_date');
      const end = required('datediff', b, 'second_date');
      const d = dialect();
      return d.dateDiff ? d.dateDiff(part, start, end) : defaults.dateDiff(part, start, end);
    },
    date_trunc: (...args) => {
      const b = bindArguments(['datepart', 'date'], args);
      const part = datePart('date_trunc', required('date_trunc', b, 'datepart'));
      const expression = required('date_trunc', b, 'date');
      const d = dialect();
      return d.dateTrunc ? d.dateTrunc(part, expression) : defaults.dateTrunc(part, expression);
    },
    safe_divide: (...args) => {
      const b = bindArguments(['numerator', 'denominator'], args);
      return `(${required('safe_divide', b, 'numerator')}) / nullif(${required('safe_divide', b, 'denominator')}, 0)`;
    },
    cast: (...args) => {
      const b = bindArguments(['field', 'type'], args);
      return `cast(${required('cast', b, 'field')} as ${typeSql(dialect(), required('cast', b, 'type'))})`;
    },
    safe_cast: (...args) => {
      const b = bindArguments(['field', 'type'], args);
      const type = typeSql(dialect(), required('safe_cast', b, 'type'));
      const field = required('safe_cast', b, 'field');
      const d = dialect();
      return d.tryCast ? d.tryCast(field, type) : defaults.tryCast(field, type);
    },
    initcap: (...args) => {
      const b = bindArguments(['expression'], args);
      const expression = required('initcap', b, 'expression');
      const d = dialect();
      return d.initCap ? d.initCap(expression) : defaults.initCap(expression);
    },
    hash: (...args) => {
      const b = bindArguments(['field'], args);
      return `md5(cast(${required('hash', b, 'field')} as ${dialect().typeName({ kind: 'text' })}))`;
    },
    concat: (...args) => {
      const b = bindArguments(['fields'], args);
      const fields = b.fields;
      if (!Array.isArray(fields) || fields.length === 0)
        throw new Error('concat: "fields" must be a non-empty list of SQL expressions.');
      return `(${fields.map(String).join(' || ')})`;
    },
    type_string: () => dialect().typeName({ kind: 'text' }),
    type_int: () => dialect().typeName({ kind: 'integer' }),
    type_bigint: () => dialect().typeName({ kind: 'bigint' }),
    type_float: () => dialect().typeName({ kind: 'double' }),
    type_boolean: () => dialect().typeName({ kind: 'boolean' }),
    type_timestamp: () => dialect().typeName({ kind: 'timestamp' }),
    type_date: () => dialect().typeName({ kind: 'date' }),
    type_numeric: (...args) => {
      const b = bindArguments(['precision', 'scale'], args);
      const precision = b.precision === undefined ? 28 : Number(b.precision);
      const scale = b.scale === undefined ? 6 : Number(b.scale);
      return dialect().typeName({ kind: 'decimal', precision, scale });
    },
  };
  return macros;
}

/** The names of the cross-engine macros (reserved: a project macro with one of these names replaces it). */
export const CROSS_ENGINE_MACRO_NAMES: readonly string[] = Object.keys(
  crossEngineMacros(() => {
    throw new Error('unused');
  }),
);
