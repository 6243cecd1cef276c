import type { DatePart, LogicalType, SqlDialect } from '@sluice/warehouse';
import { bindArguments } from './call-arguments.js';
import { pyStr } from './jinja/python-values.js';

const DATE_PARTS: readonly DatePart[] = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'];

/** Date parts only some engines know: passed through as written, for the warehouse to judge (as dbt does). */
const ENGINE_DATE_PARTS = [
  'isoweek',
  'week_iso',
  'weekiso',
  'iso_week',
  'isoyear',
  'yearofweek',
  'yearofweekiso',
  'dayofweek',
  'dayofweekiso',
  'dayofyear',
  'weekday',
  'dow',
  'doy',
  'millisecond',
  'microsecond',
  'nanosecond',
  'decade',
  'century',
  'millennium',
  'epoch',
];

/** A date part as written (`day`, `'month'`): a portable one, or one of `ENGINE_DATE_PARTS`. */
function datePart(macro: string, value: unknown): DatePart {
  const part = String(value).trim().toLowerCase().replace(/^'|'$/g, '');
  if (!DATE_PARTS.includes(part as DatePart) && !ENGINE_DATE_PARTS.includes(part)) {
    throw new Error(`${macro}: "${String(value)}" is not a date part; use one of ${DATE_PARTS.join(', ')}.`);
  }
  return part as DatePart;
}

/**
 * A text argument as dbt's `{{ value }}` / `value | replace(…)` writes it: None is 'None', and a value passed but
 * undefined (a field the node does not have: dbt's Undefined) is ''. Not passed at all is an error.
 */
function textArgument(macro: string, bound: Record<string, unknown>, name: string): string {
  if (Object.hasOwn(bound, name) && bound[name] === undefined) return '';
  return bound[name] === null ? 'None' : required(macro, bound, name);
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

/** Default SQL of the macros whose SQL differs between engines, when the dialect does not override them: DuckDB. */
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
  boolOr(expression: string): string {
    return `bool_or(${expression})`;
  },
  listagg(measure: string, delimiter: string, orderBy: string | undefined, limit: number | undefined): string {
    const order = orderBy === undefined ? '' : ` order by ${orderBy}`;
    if (limit === undefined) return `string_agg(${measure}, ${delimiter}${order})`;
    return `array_to_string(list_slice(list(${measure}${order}), 1, ${limit}), ${delimiter})`;
  },
  arrayConstruct(items: readonly string[], elementType: string): string {
    return items.length === 0 ? `cast([] as ${elementType}[])` : `[${items.join(', ')}]`;
  },
  arrayAppend(array: string, element: string): string {
    return `list_append(${array}, ${element})`;
  },
  arrayConcat(first: string, second: string): string {
    return `list_concat(${first}, ${second})`;
  },
  stringLiteral(value: string): string {
    return `'${value.replaceAll("'", "''")}'`;
  },
};

/** A template function: receives nunjucks arguments, returns SQL text. */
export type TemplateFunction = (...args: unknown[]) => unknown;

/** `2 ** n >= upper_bound`: how many powers of two `generate_series` cross-joins. */
function powersOfTwo(upperBound: number): number {
  if (!Number.isFinite(upperBound) || upperBound <= 1) return upperBound <= 0 ? 0 : 1;
  return Math.ceil(Math.log2(upperBound));
}

/**
 * The cross-database macros of dbt's global project, as Sluice writes them (following dbt's documented behaviour),
 * bound to the dialect of the render in progress (`dialect()` is read at call time). Every template reaches them
 * unqualified and as `dbt.x(...)`; all take and return SQL text: `{{ dateadd('day', 7, 'data_venda') }}`.
 * `date_spine` and `get_intervals_between` ask the warehouse at compile time, as dbt's do: `query(sql)` runs
 * a one-row query (`undefined` at parse time, when nothing runs).
 */
export function crossEngineMacros(
  dialect: () => SqlDialect,
  query: (sql: string) => unknown[] | undefined = () => undefined,
): Record<string, TemplateFunction> {
  const d = (): SqlDialect => dialect();
  const typeOf = (spec: string): string => typeSql(d(), spec);
  const type = (kind: LogicalType['kind']): string => d().typeName({ kind } as LogicalType);
  const macros: Record<string, TemplateFunction> = {
    dateadd: (...args) => {
      const b = bindArguments(['datepart', 'interval', 'from_date_or_timestamp'], args);
      const part = datePart('dateadd', required('dateadd', b, 'datepart'));
      const amount = required('dateadd', b, 'interval');
      const expression = required('dateadd', b, 'from_date_or_timestamp');
      return (d().dateAdd ?? defaults.dateAdd)(part, amount, expression);
    },
    datediff: (...args) => {
      const b = bindArguments(['first_date', 'second_date', 'datepart'], args);
      const part = datePart('datediff', required('datediff', b, 'datepart'));
      return (d().dateDiff ?? defaults.dateDiff)(
        part,
        required('datediff', b, 'first_date'),
        required('datediff', b, 'second_date'),
      );
    },
    date_trunc: (...args) => {
      const b = bindArguments(['datepart', 'date'], args);
      const part = datePart('date_trunc', required('date_trunc', b, 'datepart'));
      return (d().dateTrunc ?? defaults.dateTrunc)(part, required('date_trunc', b, 'date'));
    },
    last_day: (...args) => {
      const b = bindArguments(['date', 'datepart'], args);
      const part = datePart('last_day', required('last_day', b, 'datepart'));
      const date = required('last_day', b, 'date');
      const dateAdd = d().dateAdd ?? defaults.dateAdd;
      const start = (d().dateTrunc ?? defaults.dateTrunc)(part, date);
      return `cast(${dateAdd('day', '-1', dateAdd(part, '1', start))} as ${type('date')})`;
    },
    safe_divide: (...args) => {
      const b = bindArguments(['numerator', 'denominator'], args);
      return `(${required('safe_divide', b, 'numerator')}) / nullif(${required('safe_divide', b, 'denominator')}, 0)`;
    },
    cast: (...args) => {
      const b = bindArguments(['field', 'type'], args);
      return `cast(${required('cast', b, 'field')} as ${typeOf(required('cast', b, 'type'))})`;
    },
    safe_cast: (...args) => {
      const b = bindArguments(['field', 'type'], args);
      return (d().tryCast ?? defaults.tryCast)(
        required('safe_cast', b, 'field'),
        typeOf(required('safe_cast', b, 'type')),
      );
    },
    initcap: (...args) => {
      const b = bindArguments(['expression'], args);
      return (d().initCap ?? defaults.initCap)(required('initcap', b, 'expression'));
    },
    hash: (...args) => {
      const b = bindArguments(['field'], args);
      return `md5(cast(${required('hash', b, 'field')} as ${type('text')}))`;
    },
    concat: (...args) => {
      const b = bindArguments(['fields'], args);
      const fields = b.fields;
      if (!Array.isArray(fields) || fields.length === 0)
        throw new Error('concat: "fields" must be a non-empty list of SQL expressions.');
      return `concat(${fields.map(pyStr).join(', ')})`;
    },
    equals: (...args) => {
      const b = bindArguments(['expr1', 'expr2'], args);
      const a = required('equals', b, 'expr1');
      const c = required('equals', b, 'expr2');
      return `((${a} = ${c}) or (${a} is null and ${c} is null))`;
    },
    split_part: (...args) => {
      const b = bindArguments(['string_text', 'delimiter_text', 'part_number'], args);
      return `split_part(${required('split_part', b, 'string_text')}, ${required('split_part', b, 'delimiter_text')}, ${required('split_part', b, 'part_number')})`;
    },
    listagg: (...args) => {
      const b = bindArguments(['measure', 'delimiter_text', 'order_by_clause', 'limit_num'], args);
      const measure = required('listagg', b, 'measure');
      const delimiter = b.delimiter_text === undefined || b.delimiter_text === null ? "','" : pyStr(b.delimiter_text);
      const order =
        b.order_by_clause === undefined || b.order_by_clause === null
          ? undefined
          : pyStr(b.order_by_clause).replace(/^\s*order\s+by\s+/i, '');
      const limit = b.limit_num === undefined || b.limit_num === null ? undefined : Number(b.limit_num);
      return (d().listagg ?? defaults.listagg)(measure, delimiter, order, limit);
    },
    any_value: (...args) => `any_value(${required('any_value', bindArguments(['expression'], args), 'expression')})`,
    bool_or: (...args) =>
      (d().boolOr ?? defaults.boolOr)(required('bool_or', bindArguments(['expression'], args), 'expression')),
    cast_bool_to_text: (...args) =>
      `cast(${required('cast_bool_to_text', bindArguments(['field'], args), 'field')} as ${type('text')})`,
    current_timestamp: () => 'current_timestamp',
    current_timestamp_backcompat: () => 'current_timestamp',
    current_timestamp_in_utc_backcompat: () => 'current_timestamp',
    escape_single_quotes: (...args) => {
      const text = textArgument('escape_single_quotes', bindArguments(['expression'], args), 'expression');
      return (d().stringLiteral ?? defaults.stringLiteral)(text).slice(1, -1);
    },
    string_literal: (...args) =>
      (d().stringLiteral ?? defaults.stringLiteral)(
        textArgument('string_literal', bindArguments(['value'], args), 'value'),
      ),
    except: () => 'except',
    intersect: () => 'intersect',
    length: (...args) => `length(${required('length', bindArguments(['expression'], args), 'expression')})`,
    position: (...args) => {
      const b = bindArguments(['substring_text', 'string_text'], args);
      return `position(${required('position', b, 'substring_text')} in ${required('position', b, 'string_text')})`;
    },
    replace: (...args) => {
      const b = bindArguments(['field', 'old_chars', 'new_chars'], args);
      return `replace(${required('replace', b, 'field')}, ${required('replace', b, 'old_chars')}, ${required('replace', b, 'new_chars')})`;
    },
    right: (...args) => {
      const b = bindArguments(['string_text', 'length_expression'], args);
      return `right(${required('right', b, 'string_text')}, ${required('right', b, 'length_expression')})`;
    },
    array_construct: (...args) => {
      const b = bindArguments(['inputs', 'data_type'], args);
      const inputs = b.inputs === undefined || b.inputs === null ? [] : (b.inputs as unknown[]);
      const elementType = b.data_type === undefined ? type('integer') : typeOf(pyStr(b.data_type));
      return (d().arrayConstruct ?? defaults.arrayConstruct)(inputs.map(pyStr), elementType);
    },
    array_append: (...args) => {
      const b = bindArguments(['array', 'new_element'], args);
      return (d().arrayAppend ?? defaults.arrayAppend)(
        required('array_append', b, 'array'),
        required('array_append', b, 'new_element'),
      );
    },
    array_concat: (...args) => {
      const b = bindArguments(['array_1', 'array_2'], args);
      return (d().arrayConcat ?? defaults.arrayConcat)(
        required('array_concat', b, 'array_1'),
        required('array_concat', b, 'array_2'),
      );
    },
    get_powers_of_two: (...args) =>
      powersOfTwo(Number(required('get_powers_of_two', bindArguments(['upper_bound'], args), 'upper_bound'))),
    generate_series: (...args) => {
      const upper = Number(required('generate_series', bindArguments(['upper_bound'], args), 'upper_bound'));
      const powers = Math.max(1, powersOfTwo(upper));
      const digits = Array.from({ length: powers }, (_, i) => `p${i}.generated_number * ${2 ** i}`);
      const joins = Array.from({ length: powers }, (_, i) => (i === 0 ? 'p as p0' : `cross join p as p${i}`));
      return [
        'with p as (',
        '  select 0 as generated_number union all select 1',
        '), unioned as (',
        `  select ${digits.join(' + ')} + 1 as generated_number`,
        `  from ${joins.join('\n  ')}`,
        ')',
        'select * from unioned',
        `where generated_number <= ${upper}`,
        'order by generated_number',
      ].join('\n');
    },
    get_intervals_between: (...args) => {
      const b = bindArguments(['start_date', 'end_date', 'datepart'], args);
      const part = datePart('get_intervals_between', required('get_intervals_between', b, 'datepart'));
      const diff = (d().dateDiff ?? defaults.dateDiff)(
        part,
        required('get_intervals_between', b, 'start_date'),
        required('get_intervals_between', b, 'end_date'),
      );
      const row = query(`select ${diff} as days_difference`);
      // At parse time nothing runs: one interval, as dbt assumes.
      if (row === undefined) return 1;
      const value = Number(row[0]);
      if (!Number.isFinite(value))
        throw new Error(`get_intervals_between: the warehouse answered ${pyStr(row[0])}, not a number.`);
      return value;
    },
    date_spine: (...args) => {
      const b = bindArguments(['datepart', 'start_date', 'end_date'], args);
      const part = datePart('date_spine', required('date_spine', b, 'datepart'));
      const start = required('date_spine', b, 'start_date');
      const end = required('date_spine', b, 'end_date');
      const intervals = macros.get_intervals_between?.(start, end, part) as number;
      const dateAdd = d().dateAdd ?? defaults.dateAdd;
      return [
        'with rawdata as (',
        macros.generate_series?.(intervals) as string,
        '), all_periods as (',
        `  select (${dateAdd(part, 'row_number() over (order by generated_number) - 1', start)}) as date_${part}`,
        '  from rawdata',
        '), filtered as (',
        `  select * from all_periods where date_${part} <= ${end}`,
        ')',
        'select * from filtered',
      ].join('\n');
    },
    type_string: () => type('text'),
    type_int: () => type('integer'),
    type_bigint: () => type('bigint'),
    type_float: () => type('double'),
    type_boolean: () => type('boolean'),
    type_timestamp: () => type('timestamp'),
    type_date: () => type('date'),
    type_numeric: (...args) => {
      const b = bindArguments(['precision', 'scale'], args);
      const precision = b.precision === undefined || b.precision === null ? 28 : Number(b.precision);
      const scale = b.scale === undefined || b.scale === null ? 6 : Number(b.scale);
      return d().typeName({ kind: 'decimal', precision, scale });
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
