import { SnowflakeEmulatorError } from '../emulator-error.js';
import { datePart } from './date-parts.js';
import { canonicalTypeName, mapSnowflakeType, type MappedType } from './snowflake-types.js';
import { argumentMarker, markArithmetic, markerComment, type MarkerCounter } from './typed-markers.js';
import {
  isOp,
  isParenGroup,
  isTriviaNode,
  isWord,
  nextSignificant,
  previousSignificant,
  quoteString,
  render,
  significant,
  splitOnCommas,
  trimTrivia,
  type GroupNode,
  type RawNode,
  type SqlNode,
  type TokenNode,
} from './syntax-tree.js';

/** A bound value, already rendered as a DuckDB literal. */
export interface BindLiteral {
  readonly literal: string;
}

/** What the session knows that functions such as CURRENT_DATABASE() return. */
export interface SessionFacts {
  readonly database: string | null;
  readonly schema: string | null;
  readonly warehouse: string | null;
  readonly role: string;
  readonly user: string;
  readonly account: string;
  readonly sessionId: string;
  readonly lastQueryId: string | null;
  /** The session's parameters (input formats, WEEK_START, …), as ALTER SESSION and the account left them. */
  readonly parameters?: ReadonlyMap<string, string | number | boolean>;
}

/** State shared by one statement's translation. */
export interface TranslationContext {
  readonly sql: string;
  /** One row of bind values; `?` takes them in order, `:n` by number. */
  readonly binds: readonly BindLiteral[];
  bindCursor: number;
  readonly session: SessionFacts;
  /** Numbers the statement's typed markers (typed-markers.ts); without it, arithmetic keeps DuckDB's types. */
  readonly markers?: MarkerCounter;
}

const raw = (text: string): RawNode => ({ type: 'raw', text });

/** Snowflake functions that DuckDB has under another meaning or not at all, and that the emulator refuses. */
const UNSUPPORTED_FUNCTIONS: Record<string, string> = {
  FLATTEN: 'FLATTEN (lateral table function)',
  GENERATOR: 'GENERATOR table function',
  HASH: 'HASH (Snowflake-specific 64-bit hash)',
  HASH_AGG: 'HASH_AGG',
  RANDOM: 'RANDOM (Snowflake returns a 64-bit integer)',
  UNIFORM: 'UNIFORM',
  NORMAL: 'NORMAL',
  SEQ1: 'SEQ1',
  SEQ2: 'SEQ2',
  SEQ4: 'SEQ4',
  SEQ8: 'SEQ8',
  RESULT_SCAN: 'RESULT_SCAN',
  TIME_SLICE: 'TIME_SLICE',
  OBJECT_AGG: 'OBJECT_AGG',
  OBJECT_INSERT: 'OBJECT_INSERT',
  ARRAY_CONTAINS: 'ARRAY_CONTAINS',
  STRTOK: 'STRTOK',
  STRTOK_TO_ARRAY: 'STRTOK_TO_ARRAY',
  IDENTIFIER: 'IDENTIFIER()',
  TABLE: 'TABLE() literal',
  APPROX_PERCENTILE: 'APPROX_PERCENTILE',
  RATIO_TO_REPORT: 'RATIO_TO_REPORT',
  EDITDISTANCE: 'EDITDISTANCE',
  SOUNDEX: 'SOUNDEX',
  ENCRYPT: 'ENCRYPT',
  DECRYPT: 'DECRYPT',
  BASE64_ENCODE: 'BASE64_ENCODE',
  BASE64_DECODE_STRING: 'BASE64_DECODE_STRING',
  TO_GEOGRAPHY: 'TO_GEOGRAPHY',
  ST_MAKEPOINT: 'geospatial functions',
};

/** Keywords of Snowflake clauses the emulator does not translate, recognised by what follows them. */
const UNSUPPORTED_CLAUSES: Record<string, { name: string; followedBy: 'group' | readonly string[] }> = {
  MATCH_RECOGNIZE: { name: 'MATCH_RECOGNIZE', followedBy: 'group' },
  PIVOT: { name: 'PIVOT', followedBy: 'group' },
  UNPIVOT: { name: 'UNPIVOT', followedBy: 'group' },
  CHANGES: { name: 'CHANGES clause', followedBy: 'group' },
  SAMPLE: { name: 'SAMPLE / TABLESAMPLE', followedBy: 'group' },
  TABLESAMPLE: { name: 'SAMPLE / TABLESAMPLE', followedBy: 'group' },
  ASOF: { name: 'ASOF JOIN', followedBy: ['JOIN'] },
};
const SAMPLE_METHODS = ['BERNOULLI', 'ROW', 'SYSTEM', 'BLOCK'];

type FunctionRewrite = (args: string[], call: CallInfo) => string;

interface CallInfo {
  readonly name: string;
  /** Untranslated argument nodes, for functions whose first argument is a date part keyword. */
  readonly rawArgs: SqlNode[][];
  readonly ctx: TranslationContext;
  /** ORDER BY text of a following `WITHIN GROUP (ORDER BY …)`, when the call had one. */
  readonly withinGroupOrder: string | undefined;
}

function arity(call: CallInfo, args: string[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw SnowflakeEmulatorError.sql(
      '000938',
      '42601',
      `SQL compilation error:\nerror line 0 at position -1\nInvalid argument types for function '${call.name}': expected ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}.`,
    );
  }
}

function arg(args: string[], i: number): string {
  return args[i] ?? 'NULL';
}

/** The date part named by a function's first argument (a keyword such as `day`, or a string such as 'day'). */
function partArg(call: CallInfo, index = 0): ReturnType<typeof datePart> {
  const nodes = significant(call.rawArgs[index] ?? []);
  const first = nodes[0];
  if (
    nodes.length === 1 &&
    first?.type === 'token' &&
    (first.token.kind === 'word' || first.token.kind === 'string' || first.token.kind === 'quoted')
  ) {
    return datePart(first.token.value, call.name);
  }
  throw SnowflakeEmulatorError.sql(
    '001003',
    '42000',
    `SQL compilation error:\n${call.name} needs a date or time part as its first argument.`,
  );
}

function nullIfAnyNull(args: string[], expression: string): string {
  return `(CASE WHEN ${args.map((a) => `(${a}) IS NULL`).join(' OR ')} THEN NULL ELSE ${expression} END)`;
}

/**
 * A VARIANT from JSON text: whitespace outside strings removed (a VARIANT keeps the document, not its layout), numbers
 * kept digit for digit, as Snowflake keeps a number of up to 38 digits (DuckDB's `json()` would re-render them as
 * doubles). Snowflake stores a longer number, or one with an exponent, as a DOUBLE; the emulator keeps its text.
 */
function compactJson(text: string): string {
  return String.raw`CAST(regexp_replace(${text}, '("(?:[^"\\]|\\.)*")|\s+', '\1', 'g') AS JSON)`;
}

/** PARSE_JSON's second argument: 'd' or 's' only (Snowflake refuses anything else). */
function parseJsonParameter(call: CallInfo): void {
  if (call.rawArgs.length < 2) return;
  const value = formatArg(call, 1).toLowerCase();
  if (value !== 'd' && value !== 's') {
    throw SnowflakeEmulatorError.sql(
      '100069',
      '22023',
      `Invalid parameter value '${value}' for ${call.name}: expected 'd' (duplicate keys allowed) or 's' (strict).`,
    );
  }
}

/** Convert a Snowflake date/time format to a strftime/strptime format. */
export function strftimeFormat(format: string): string {
  const tokens: [string, string][] = [
    ['YYYY', '%Y'],
    ['MMMM', '%B'],
    ['HH24', '%H'],
    ['HH12', '%I'],
    ['TZH:TZM', '%z'],
    ['FF9', '%n'],
    ['FF6', '%f'],
    ['FF3', '%g'],
    ['FF', '%f'],
    ['MON', '%b'],
    ['DY', '%a'],
    ['YY', '%y'],
    ['MM', '%m'],
    ['DD', '%d'],
    ['HH', '%H'],
    ['MI', '%M'],
    ['SS', '%S'],
    ['AM', '%p'],
    ['PM', '%p'],
  ];
  let out = '';
  let i = 0;
  const upper = format.toUpperCase();
  while (i < format.length) {
    const ch = format[i] as string;
    if (ch === '"') {
      const close = format.indexOf('"', i + 1);
      const literal = close < 0 ? format.slice(i + 1) : format.slice(i + 1, close);
      out += literal.replaceAll('%', '%%');
      i = close < 0 ? format.length : close + 1;
      continue;
    }
    const match = tokens.find(([sf]) => upper.startsWith(sf, i));
    if (match) {
      out += match[1];
      i += match[0].length;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) throw SnowflakeEmulatorError.unsupported(`date/time format element in '${format}'`);
    out += ch === '%' ? '%%' : ch;
    i++;
  }
  return out;
}

function formatArg(call: CallInfo, index: number): string {
  const nodes = significant(call.rawArgs[index] ?? []);
  const first = nodes[0];
  if (nodes.length === 1 && first?.type === 'token' && first.token.kind === 'string') return first.token.value;
  throw SnowflakeEmulatorError.unsupported(`${call.name} with a format that is not a string literal`);
}

function sessionLiteral(value: string | null): string {
  return value === null ? 'CAST(NULL AS VARCHAR)' : quoteString(value);
}

const dateAdd: FunctionRewrite = (args, call) => {
  arity(call, args, 3);
  const part = partArg(call);
  if (
    part === 'nanosecond' ||
    !['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond'].includes(
      part,
    )
  ) {
    throw SnowflakeEmulatorError.unsupported(`${call.name} with part ${part}`);
  }
  return `SF_DATEADD_${part.toUpperCase()}(${arg(args, 1)}, ${arg(args, 2)})`;
};

const dateDiff: FunctionRewrite = (args, call) => {
  arity(call, args, 3);
  const part = partArg(call);
  if (
    !['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond'].includes(
      part,
    )
  ) {
    throw SnowflakeEmulatorError.unsupported(`${call.name} with part ${part}`);
  }
  return `date_diff('${part}', ${arg(args, 1)}, ${arg(args, 2)})`;
};

const dateTrunc: FunctionRewrite = (args, call) => {
  arity(call, args, 2);
  const part = partArg(call);
  if (
    !['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond'].includes(
      part,
    )
  ) {
    throw SnowflakeEmulatorError.unsupported(`${call.name} with part ${part}`);
  }
  if (part === 'week') {
    // WEEK_START: 0 (legacy) and 1 start weeks on Monday, as DuckDB does; 2–7 on Tuesday … Sunday.
    const start = Number(call.ctx.session.parameters?.get('WEEK_START') ?? 0);
    const shift = start >= 2 && start <= 7 ? 8 - start : 0;
    if (shift !== 0) {
      return `SF_DATEADD_DAY(-${shift}, SF_DATE_TRUNC('week', SF_DATEADD_DAY(${shift}, ${arg(args, 1)})))`;
    }
  }
  return `SF_DATE_TRUNC('${part}', ${arg(args, 1)})`;
};

const toTimestampNtz: FunctionRewrite = (args, call) => {
  arity(call, args, 1, 2);
  if (args.length === 2) return `strptime(${arg(args, 0)}, ${quoteString(strftimeFormat(formatArg(call, 1)))})`;
  return `SF_TO_TIMESTAMP_NTZ(${arg(args, 0)})`;
};

const toTimestampTz: FunctionRewrite = (args, call) => {
  arity(call, args, 1, 2);
  if (args.length === 2) {
    return `CAST(strptime(${arg(args, 0)}, ${quoteString(strftimeFormat(formatArg(call, 1)))}) AS TIMESTAMPTZ)`;
  }
  return `SF_TO_TIMESTAMP_TZ(${arg(args, 0)})`;
};

const toChar: FunctionRewrite = (args, call) => {
  arity(call, args, 1, 2);
  if (args.length === 2) return `strftime(${arg(args, 0)}, ${quoteString(strftimeFormat(formatArg(call, 1)))})`;
  return `SF_TO_VARCHAR(${arg(args, 0)})`;
};

const toNumber =
  (tryCast: boolean): FunctionRewrite =>
  (args, call) => {
    arity(call, args, 1, 4);
    const rest = args.slice(1);
    const firstExtraIsFormat =
      call.rawArgs[1] &&
      significant(call.rawArgs[1])[0]?.type === 'token' &&
      (significant(call.rawArgs[1])[0] as { token: { kind: string } }).token.kind === 'string';
    if (firstExtraIsFormat) throw SnowflakeEmulatorError.unsupported(`${call.name} with a format model`);
    const precision = rest[0] ?? '38';
    const scale = rest[1] ?? '0';
    if (!/^\d+$/.test(precision.trim()) || !/^\d+$/.test(scale.trim())) {
      throw SnowflakeEmulatorError.unsupported(`${call.name} with non-literal precision or scale`);
    }
    const type = mapSnowflakeType('NUMBER', [Number(precision), Number(scale)]).duckdb;
    return `${tryCast ? 'TRY_CAST' : 'CAST'}(${arg(args, 0)} AS ${type})`;
  };

/** A JSON array as a DuckDB list of JSON values. */
function jsonList(json: string): string {
  return `from_json(${json}, '["JSON"]')`;
}

const listAgg: FunctionRewrite = (args, call) => {
  arity(call, args, 1, 2);
  const order = call.withinGroupOrder ? ` ${call.withinGroupOrder}` : '';
  return `string_agg(${arg(args, 0)}, ${args[1] ?? "''"}${order})`;
};

const arrayAgg: FunctionRewrite = (args, call) => {
  arity(call, args, 1);
  const order = call.withinGroupOrder ? ` ${call.withinGroupOrder}` : '';
  const value = arg(args, 0).replace(/^\s*DISTINCT\s+/i, '');
  // Snowflake's ARRAY_AGG leaves NULLs out and returns an empty array (not NULL) for no rows.
  return `COALESCE(to_json(list(${arg(args, 0)}${order}) FILTER (WHERE (${value}) IS NOT NULL)), '[]'::JSON)`;
};

const FUNCTION_REWRITES: Record<string, FunctionRewrite> = {
  IFF: (a, c) => (arity(c, a, 3), `(CASE WHEN ${arg(a, 0)} THEN ${arg(a, 1)} ELSE ${arg(a, 2)} END)`),
  NVL: (a, c) => (arity(c, a, 2), `COALESCE(${a.join(', ')})`),
  IFNULL: (a, c) => (arity(c, a, 2), `COALESCE(${a.join(', ')})`),
  NVL2: (a, c) => (arity(c, a, 3), `(CASE WHEN ${arg(a, 0)} IS NOT NULL THEN ${arg(a, 1)} ELSE ${arg(a, 2)} END)`),
  ZEROIFNULL: (a, c) => (arity(c, a, 1), `COALESCE(${arg(a, 0)}, 0)`),
  NULLIFZERO: (a, c) => (arity(c, a, 1), `NULLIF(${arg(a, 0)}, 0)`),
  DIV0: (a, c) => (arity(c, a, 2), `(CASE WHEN (${arg(a, 1)}) = 0 THEN 0 ELSE (${arg(a, 0)}) / (${arg(a, 1)}) END)`),
  DIV0NULL: (a, c) => (
    arity(c, a, 2), `(CASE WHEN COALESCE(${arg(a, 1)}, 0) = 0 THEN 0 ELSE (${arg(a, 0)}) / (${arg(a, 1)}) END)`
  ),
  EQUAL_NULL: (a, c) => (arity(c, a, 2), `((${arg(a, 0)}) IS NOT DISTINCT FROM (${arg(a, 1)}))`),
  DECODE: (a, c) => {
    if (a.length < 3) arity(c, a, 3, Number.MAX_SAFE_INTEGER);
    const expr = arg(a, 0);
    let out = '(CASE';
    let i = 1;
    for (; i + 1 < a.length; i += 2) out += ` WHEN (${expr}) IS NOT DISTINCT FROM (${arg(a, i)}) THEN ${arg(a, i + 1)}`;
    if (i < a.length) out += ` ELSE ${arg(a, i)}`;
    return `${out} END)`;
  },
  GREATEST: (a, c) => (a.length < 1 && arity(c, a, 1, 99), nullIfAnyNull(a, `greatest(${a.join(', ')})`)),
  LEAST: (a, c) => (a.length < 1 && arity(c, a, 1, 99), nullIfAnyNull(a, `least(${a.join(', ')})`)),
  CONCAT: (a) => `(${a.map((x) => `CAST(${x} AS VARCHAR)`).join(' || ')})`,
  CONCAT_WS: (a, c) => (a.length < 2 && arity(c, a, 2, 99), nullIfAnyNull(a, `concat_ws(${a.join(', ')})`)),
  LEN: (a, c) => (arity(c, a, 1), `length(${arg(a, 0)})`),
  CHARINDEX: (a, c) => {
    arity(c, a, 2, 3);
    if (a.length === 3)
      return `(CASE WHEN strpos(substring(${arg(a, 1)}, ${arg(a, 2)}), ${arg(a, 0)}) = 0 THEN 0 ELSE strpos(substring(${arg(a, 1)}, ${arg(a, 2)}), ${arg(a, 0)}) + (${arg(a, 2)}) - 1 END)`;
    return `strpos(${arg(a, 1)}, ${arg(a, 0)})`;
  },
  POSITION: (a, c) => {
    // POSITION(a IN b) is standard SQL and passes through; the comma form is Snowflake's.
    if (a.length === 1) return `position(${arg(a, 0)})`;
    arity(c, a, 2, 3);
    if (a.length === 3) throw SnowflakeEmulatorError.unsupported('POSITION with a start position');
    return `strpos(${arg(a, 1)}, ${arg(a, 0)})`;
  },
  STARTSWITH: (a, c) => (arity(c, a, 2), `starts_with(${a.join(', ')})`),
  ENDSWITH: (a, c) => (arity(c, a, 2), `ends_with(${a.join(', ')})`),
  REPLACE: (a, c) => (arity(c, a, 2, 3), `replace(${arg(a, 0)}, ${arg(a, 1)}, ${a[2] ?? "''"})`),
  SPLIT: (a, c) => (arity(c, a, 2), `to_json(string_split(${a.join(', ')}))`),
  REGEXP_REPLACE: (a, c) => {
    arity(c, a, 2, 3);
    return `regexp_replace(${arg(a, 0)}, ${arg(a, 1)}, ${a[2] ?? "''"}, 'g')`;
  },
  REGEXP_LIKE: (a, c) => (arity(c, a, 2), `regexp_full_match(${arg(a, 0)}, ${arg(a, 1)})`),
  RLIKE: (a, c) => (arity(c, a, 2), `regexp_full_match(${arg(a, 0)}, ${arg(a, 1)})`),
  REGEXP_SUBSTR: (a, c) => {
    arity(c, a, 2);
    return `(CASE WHEN regexp_matches(${arg(a, 0)}, ${arg(a, 1)}) THEN regexp_extract(${arg(a, 0)}, ${arg(a, 1)}) END)`;
  },
  REGEXP_COUNT: (a, c) => (arity(c, a, 2), `length(regexp_extract_all(${arg(a, 0)}, ${arg(a, 1)}))`),
  MD5_HEX: (a, c) => (arity(c, a, 1), `md5(${arg(a, 0)})`),
  SHA1_HEX: (a, c) => (arity(c, a, 1), `sha1(${arg(a, 0)})`),
  SHA2: (a, c) => {
    arity(c, a, 1, 2);
    if (a.length === 2 && a[1]?.trim() !== '256')
      throw SnowflakeEmulatorError.unsupported('SHA2 with a digest size other than 256');
    return `sha256(${arg(a, 0)})`;
  },
  SHA2_HEX: (a, c) => (arity(c, a, 1, 2), `sha256(${arg(a, 0)})`),
  UUID_STRING: (a, c) => (arity(c, a, 0), `CAST(uuid() AS VARCHAR)`),
  SQUARE: (a, c) => (arity(c, a, 1), `power(${arg(a, 0)}, 2)`),
  LOG: (a, c) => (arity(c, a, 2), `(ln(${arg(a, 1)}) / ln(${arg(a, 0)}))`),
  BOOLAND_AGG: (a, c) => (arity(c, a, 1), `bool_and(${arg(a, 0)})`),
  BOOLOR_AGG: (a, c) => (arity(c, a, 1), `bool_or(${arg(a, 0)})`),
  APPROX_COUNT_DISTINCT: (a, c) => (arity(c, a, 1), `count(DISTINCT ${arg(a, 0)})`),
  LISTAGG: listAgg,
  ARRAY_AGG: arrayAgg,
  ARRAYAGG: arrayAgg,
  ARRAY_CONSTRUCT: (a) => `to_json([${a.join(', ')}])`,
  // Arrays are JSON here: taken apart as lists of JSON values, worked on, and written back as JSON.
  ARRAY_APPEND: (a, c) => (arity(c, a, 2), `to_json(list_append(${jsonList(arg(a, 0))}, to_json(${arg(a, 1)})))`),
  ARRAY_CAT: (a, c) => (arity(c, a, 2), `to_json(list_concat(${jsonList(arg(a, 0))}, ${jsonList(arg(a, 1))}))`),
  // Snowflake's bounds are 0-based, the end excluded; list_slice's are 1-based, the end included.
  ARRAY_SLICE: (a, c) => (
    arity(c, a, 3), `to_json(list_slice(${jsonList(arg(a, 0))}, (${arg(a, 1)}) + 1, ${arg(a, 2)}))`
  ),
  ARRAY_TO_STRING: (a, c) => (arity(c, a, 2), `array_to_string(from_json(${arg(a, 0)}, '["VARCHAR"]'), ${arg(a, 1)})`),
  // Buckets 1..n over [min, max); 0 below, n + 1 at or above max.
  WIDTH_BUCKET: (a, c) => {
    arity(c, a, 4);
    const [x, min, max, n] = [arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3)];
    return `(CASE WHEN (${x}) IS NULL THEN NULL WHEN (${x}) < (${min}) THEN 0 WHEN (${x}) >= (${max}) THEN (${n}) + 1 ELSE CAST(floor(((${x}) - (${min})) * (${n}) / ((${max}) - (${min}))) AS BIGINT) + 1 END)`;
  },
  ARRAY_SIZE: (a, c) => (arity(c, a, 1), `CAST(json_array_length(${arg(a, 0)}) AS BIGINT)`),
  OBJECT_CONSTRUCT: (a) => {
    if (a.length === 1 && a[0]?.trim() === '*') throw SnowflakeEmulatorError.unsupported('OBJECT_CONSTRUCT(*)');
    // Snowflake leaves out pairs whose value is NULL; a JSON merge patch removes null members the same way.
    return `json_merge_patch('{}', json_object(${a.join(', ')}))`;
  },
  OBJECT_CONSTRUCT_KEEP_NULL: (a) => `json_object(${a.join(', ')})`,
  // PARSE_JSON(x, 'd' | 's'): duplicate keys allowed (the last wins) or refused; the emulator keeps JSON text as
  // DuckDB's JSON does (numbers exactly as written) and does not look for duplicate keys.
  PARSE_JSON: (a, c) => (arity(c, a, 1, 2), parseJsonParameter(c), compactJson(arg(a, 0))),
  TRY_PARSE_JSON: (a, c) => (
    arity(c, a, 1, 2), parseJsonParameter(c), `(CASE WHEN json_valid(${arg(a, 0)}) THEN ${compactJson(arg(a, 0))} END)`
  ),
  TO_JSON: (a, c) => (arity(c, a, 1), `CAST(to_json(${arg(a, 0)}) AS VARCHAR)`),
  TO_VARIANT: (a, c) => (arity(c, a, 1), `to_json(${arg(a, 0)})`),
  GET_PATH: (a, c) => {
    arity(c, a, 2);
    const nodes = significant(c.rawArgs[1] ?? []);
    const first = nodes[0];
    if (!(nodes.length === 1 && first?.type === 'token' && first.token.kind === 'string')) {
      throw SnowflakeEmulatorError.unsupported('GET_PATH with a path that is not a string literal');
    }
    return `json_extract(${arg(a, 0)}, ${quoteString(jsonPath(parsePathText(first.token.value)))})`;
  },
  DATEADD: dateAdd,
  TIMEADD: dateAdd,
  TIMESTAMPADD: dateAdd,
  DATEDIFF: dateDiff,
  TIMEDIFF: dateDiff,
  TIMESTAMPDIFF: dateDiff,
  DATE_TRUNC: dateTrunc,
  DATE_PART: (a, c) => (arity(c, a, 2), `date_part('${datePartName(partArg(c))}', ${arg(a, 1)})`),
  TRUNC: (a, c) => truncate(a, c),
  TRUNCATE: (a, c) => truncate(a, c),
  ADD_MONTHS: (a, c) => (arity(c, a, 2), `SF_DATEADD_MONTH(${arg(a, 1)}, ${arg(a, 0)})`),
  TO_DATE: (a, c) => {
    arity(c, a, 1, 2);
    if (a.length === 2) return `CAST(strptime(${arg(a, 0)}, ${quoteString(strftimeFormat(formatArg(c, 1)))}) AS DATE)`;
    return `SF_TO_DATE(${arg(a, 0)})`;
  },
  DATE: (a, c) => (arity(c, a, 1, 2), FUNCTION_REWRITES.TO_DATE?.(a, c) ?? ''),
  TRY_TO_DATE: (a, c) => (arity(c, a, 1), `SF_TRY_TO_DATE(${arg(a, 0)})`),
  TO_TIMESTAMP: toTimestampNtz,
  TO_TIMESTAMP_NTZ: toTimestampNtz,
  TO_TIMESTAMP_LTZ: toTimestampTz,
  TO_TIMESTAMP_TZ: toTimestampTz,
  TRY_TO_TIMESTAMP: (a, c) => (arity(c, a, 1), `TRY_CAST(${arg(a, 0)} AS TIMESTAMP)`),
  TRY_TO_TIMESTAMP_NTZ: (a, c) => (arity(c, a, 1), `TRY_CAST(${arg(a, 0)} AS TIMESTAMP)`),
  TO_CHAR: toChar,
  TO_VARCHAR: toChar,
  TO_NUMBER: toNumber(false),
  TO_DECIMAL: toNumber(false),
  TO_NUMERIC: toNumber(false),
  TRY_TO_NUMBER: toNumber(true),
  TRY_TO_DECIMAL: toNumber(true),
  TRY_TO_NUMERIC: toNumber(true),
  TO_BINARY: (a, c) => (arity(c, a, 1, 2), `${binaryDecoder(c)}(${arg(a, 0)})`),
  TRY_TO_BINARY: (a, c) => (arity(c, a, 1, 2), `TRY(${binaryDecoder(c)}(${arg(a, 0)}))`),
  TO_TIME: (a, c) => (arity(c, a, 1), `CAST(${arg(a, 0)} AS TIME)`),
  TIME: (a, c) => (arity(c, a, 1), `CAST(${arg(a, 0)} AS TIME)`),
  DAYNAME: (a, c) => (arity(c, a, 1), `strftime(${arg(a, 0)}, '%a')`),
  MONTHNAME: (a, c) => (arity(c, a, 1), `strftime(${arg(a, 0)}, '%b')`),
  TO_DOUBLE: (a, c) => (arity(c, a, 1), `CAST(${arg(a, 0)} AS DOUBLE)`),
  TRY_TO_DOUBLE: (a, c) => (arity(c, a, 1), `TRY_CAST(${arg(a, 0)} AS DOUBLE)`),
  TO_BOOLEAN: (a, c) => (arity(c, a, 1), `CAST(${arg(a, 0)} AS BOOLEAN)`),
  TRY_TO_BOOLEAN: (a, c) => (arity(c, a, 1), `TRY_CAST(${arg(a, 0)} AS BOOLEAN)`),
  CONVERT_TIMEZONE: (a, c) => {
    arity(c, a, 2, 3);
    if (a.length === 3) return `timezone(${arg(a, 1)}, timezone(${arg(a, 0)}, CAST(${arg(a, 2)} AS TIMESTAMP)))`;
    return `CAST(${arg(a, 1)} AS TIMESTAMPTZ)`;
  },
  CURRENT_TIMESTAMP: (a, c) => (arity(c, a, 0, 1), 'CURRENT_TIMESTAMP'),
  LOCALTIMESTAMP: (a, c) => (arity(c, a, 0, 1), 'CURRENT_TIMESTAMP'),
  SYSTIMESTAMP: (a, c) => (arity(c, a, 0), 'CURRENT_TIMESTAMP'),
  GETDATE: (a, c) => (arity(c, a, 0), 'CURRENT_TIMESTAMP'),
  SYSDATE: (a, c) => (arity(c, a, 0), `CAST(timezone('UTC', CURRENT_TIMESTAMP) AS TIMESTAMP)`),
  CURRENT_DATE: (a, c) => (arity(c, a, 0), 'CURRENT_DATE'),
  CURRENT_TIME: (a, c) => (arity(c, a, 0, 1), 'CAST(CAST(CURRENT_TIMESTAMP AS TIMESTAMP) AS TIME)'),
  LOCALTIME: (a, c) => (arity(c, a, 0, 1), 'CAST(CAST(CURRENT_TIMESTAMP AS TIMESTAMP) AS TIME)'),
  CURRENT_DATABASE: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.database)),
  CURRENT_SCHEMA: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.schema)),
  CURRENT_WAREHOUSE: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.warehouse)),
  CURRENT_ROLE: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.role)),
  CURRENT_USER: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.user)),
  CURRENT_ACCOUNT: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.account)),
  CURRENT_ACCOUNT_NAME: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.account)),
  CURRENT_SESSION: (a, c) => (arity(c, a, 0), sessionLiteral(c.ctx.session.sessionId)),
  CURRENT_REGION: (a, c) => (arity(c, a, 0), sessionLiteral('EMULATOR')),
  CURRENT_VERSION: (a, c) => (arity(c, a, 0), sessionLiteral('9.0.0')),
  CURRENT_CLIENT: (a, c) => (arity(c, a, 0), sessionLiteral('JavaScript')),
  LAST_QUERY_ID: (a, c) => (arity(c, a, 0, 1), sessionLiteral(c.ctx.session.lastQueryId)),
};

function binaryDecoder(call: CallInfo): string {
  if ((call.rawArgs.length ?? 0) < 2) return 'from_hex';
  const format = formatArg(call, 1).toUpperCase().replace('-', '');
  if (format === 'HEX') return 'from_hex';
  if (format === 'BASE64') return 'from_base64';
  if (format === 'UTF8') return 'encode';
  throw SnowflakeEmulatorError.unsupported(`${call.name} format '${format}'`);
}

function datePartName(part: ReturnType<typeof datePart>): string {
  switch (part) {
    case 'dayofweekiso':
      return 'isodow';
    case 'weekiso':
      return 'week';
    case 'yearofweek':
    case 'yearofweekiso':
      return 'isoyear';
    case 'epoch_second':
      return 'epoch';
    case 'nanosecond':
      return 'nanosecond';
    default:
      return part;
  }
}

function truncate(args: string[], call: CallInfo): string {
  arity(call, args, 1, 2);
  if (args.length === 2) {
    const second = significant(call.rawArgs[1] ?? [])[0];
    const isPart = second?.type === 'token' && (second.token.kind === 'string' || second.token.kind === 'word');
    if (isPart) {
      const name = (second as { token: { value: string; kind: string } }).token;
      let part: ReturnType<typeof datePart> | undefined;
      try {
        part = datePart(name.value, call.name);
      } catch (error) {
        // a word that is not a date part is a column holding the scale
        if (name.kind === 'string') throw error;
      }
      if (part) return `SF_DATE_TRUNC('${part}', ${arg(args, 0)})`;
    }
    return `trunc(${arg(args, 0)}, ${arg(args, 1)})`;
  }
  return `trunc(${arg(args, 0)})`;
}

/** A semi-structured path element: an object key or an array index. */
type PathElement = { key: string } | { index: number };

function parsePathText(text: string): PathElement[] {
  const out: PathElement[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] !== undefined) out.push({ key: m[1] });
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) });
  }
  return out;
}

function jsonPath(elements: readonly PathElement[]): string {
  let path = '$';
  for (const e of elements) {
    if ('index' in e) path += `[${e.index}]`;
    else path += /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key) ? `.${e.key}` : `."${e.key.replaceAll('"', '\\"')}"`;
  }
  return path;
}

/** Parse a type starting at nodes[i] (words plus an optional `(p, s)` group). Returns the mapped type and the index after it. */
export function parseTypeAt(nodes: readonly SqlNode[], i: number): { type: MappedType; next: number } {
  const words: string[] = [];
  const positions: number[] = [];
  let k = i;
  for (;;) {
    const j = nextSignificant(nodes, k);
    const node = j >= 0 ? nodes[j] : undefined;
    if (!isWord(node)) break;
    words.push((node as { token: { value: string } }).token.value);
    positions.push(j);
    k = j + 1;
    if (words.length >= 5) break;
  }
  const canonical = canonicalTypeName(words);
  if (!canonical) {
    const j = nextSignificant(nodes, i);
    const node = j >= 0 ? nodes[j] : undefined;
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\nsyntax error: expected a data type, found ${node ? render([node]).trim() : 'end of statement'}.`,
    );
  }
  let next = (positions[canonical.length - 1] as number) + 1;
  const params: number[] = [];
  const j = nextSignificant(nodes, next);
  const maybeGroup = j >= 0 ? nodes[j] : undefined;
  if (isParenGroup(maybeGroup)) {
    for (const part of splitOnCommas(maybeGroup.children)) {
      const text = render(part).trim();
      if (!/^\d+$/.test(text))
        throw SnowflakeEmulatorError.unsupported(`type parameter '${text}' of ${canonical.name}`);
      params.push(Number(text));
    }
    next = j + 1;
  }
  return { type: mapSnowflakeType(canonical.name, params), next };
}

/**
 * Translate Snowflake expression-level syntax to DuckDB, recursively: binds become literals, functions are
 * rewritten (IFF, NVL, DATEADD, …), `::type` and `CAST(… AS type)` use DuckDB types, `v:path` becomes JSON
 * extraction, and constructs the emulator does not support are rejected with an error naming them.
 */
export function translateExpressionNodes(nodes: readonly SqlNode[], ctx: TranslationContext): SqlNode[] {
  const out: SqlNode[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as SqlNode;
    if (node.type === 'raw') out.push(node);
    else if (node.type === 'group') out.push({ ...node, children: translateExpressionNodes(node.children, ctx) });
    else i = translateToken(node, nodes, i, out, ctx);
  }
  // `*` and `/` typed by Snowflake's rules once DuckDB has told the operand types (typed-markers.ts)
  return markArithmetic(out, ctx.markers);
}

/**
 * `AVG(x) [OVER (…)]` marked so that the executor casts it to Snowflake's NUMBER when `x` is a NUMBER
 * (typed-markers.ts); undefined (left as written) when the call has a shape the marker does not know.
 */
function markAverage(
  group: GroupNode,
  nodes: readonly SqlNode[],
  groupIndex: number,
  ctx: TranslationContext,
): { text: string; last: number } | undefined {
  if (!ctx.markers) return undefined;
  const over = nextSignificant(nodes, groupIndex + 1);
  const window = over >= 0 ? nextSignificant(nodes, over + 1) : -1;
  const windowGroup = nodes[window];
  const hasWindow = isWord(nodes[over], 'OVER');
  if ((hasWindow && !isParenGroup(windowGroup)) || isWord(nodes[over], 'FILTER', 'WITHIN')) return undefined;
  const id = ctx.markers.next++;
  const inner = trimTrivia(translateExpressionNodes(group.children, ctx));
  const distinct = isWord(inner[0], 'DISTINCT');
  const argument = render(distinct ? inner.slice(1) : inner).trim();
  let text = `${markerComment(id, 'begin')}AVG(${distinct ? 'DISTINCT ' : ''}${argumentMarker('average', id, argument)})`;
  let last = groupIndex;
  if (hasWindow && isParenGroup(windowGroup)) {
    text += ` OVER ${render([{ ...windowGroup, children: translateExpressionNodes(windowGroup.children, ctx) }])}`;
    last = window;
  }
  return { text: `${text}${markerComment(id, 'stop')}`, last };
}

/**
 * The steps below translate the token at `nodes[i]` (and what it consumes after it) onto `out`, and return the
 * index of the last node they consumed.
 */
function translateToken(
  node: TokenNode,
  nodes: readonly SqlNode[],
  i: number,
  out: SqlNode[],
  ctx: TranslationContext,
): number {
  const t = node.token;
  switch (t.kind) {
    case 'bind':
      out.push(raw(bindLiteral(t.value, ctx)));
      return i;
    case 'stage':
      throw SnowflakeEmulatorError.unsupported(`stage reference ${t.text} in this statement`);
    case 'positional':
      throw SnowflakeEmulatorError.unsupported(`staged file column ${t.text} outside COPY INTO`);
    case 'variable':
      throw SnowflakeEmulatorError.unsupported(`session variable $${t.value}`);
    case 'word':
      return translateWord(node, nodes, i, out, ctx);
    case 'op':
      if (t.value === '::') return translateCastOperator(nodes, i, out, ctx);
      if (t.value === ':') return translatePath(nodes, i, out, ctx);
      out.push(node);
      return i;
    default:
      out.push(node);
      return i;
  }
}

/** Words after `*` that modify the star rather than name a function. */
const STAR_MODIFIERS = ['REPLACE', 'EXCLUDE', 'RENAME', 'ILIKE'];

/** A function call, MINUS, or a keyword of a construct the emulator refuses; any other word stays as it is. */
function translateWord(
  node: TokenNode,
  nodes: readonly SqlNode[],
  i: number,
  out: SqlNode[],
  ctx: TranslationContext,
): number {
  const word = node.token.value;
  const j = nextSignificant(nodes, i + 1);
  const following = j >= 0 ? nodes[j] : undefined;
  const prev = previousSignificant(out, out.length - 1);
  // `schema.fn(…)` is a user function, and `* REPLACE (…)` / `* EXCLUDE (…)` are star modifiers
  const qualified = prev >= 0 && (isOp(out[prev], '.') || (isOp(out[prev], '*') && STAR_MODIFIERS.includes(word)));
  if (qualified) {
    out.push(node);
    return i;
  }
  if (isParenGroup(following)) {
    const consumed = translateCall(node, following, nodes, i, j, out, ctx);
    if (consumed !== undefined) return consumed;
  }
  if (word === 'MINUS') {
    out.push(raw('EXCEPT'));
    return i;
  }
  refuseUnsupportedKeyword(word, following, out[prev]);
  out.push(node);
  return i;
}

/**
 * `name(…)` at `nodes[i]`, its group at `nodes[groupIndex]`: a rewritten function, a CAST, or a refused function.
 * Undefined when the call passes through as written.
 */
function translateCall(
  node: TokenNode,
  group: GroupNode,
  nodes: readonly SqlNode[],
  i: number,
  groupIndex: number,
  out: SqlNode[],
  ctx: TranslationContext,
): number | undefined {
  const name = node.token.value;
  const rewritten = rewriteCall(name, group, nodes, groupIndex, ctx);
  if (rewritten) {
    out.push(raw(rewritten.text));
    return rewritten.next - 1;
  }
  if (name === 'AVG') {
    const average = markAverage(group, nodes, groupIndex, ctx);
    if (average) {
      out.push(raw(average.text));
      return average.last;
    }
  }
  if (name === 'CAST' || name === 'TRY_CAST') {
    const cast = translateCastGroup(group, ctx, name === 'TRY_CAST');
    if (cast.toVarchar !== undefined) out.push(raw(`SF_TO_VARCHAR(${cast.toVarchar})`));
    else out.push(node, ...nodes.slice(i + 1, groupIndex), cast.group);
    return groupIndex;
  }
  const unsupported = UNSUPPORTED_FUNCTIONS[name];
  if (unsupported) throw SnowflakeEmulatorError.unsupported(unsupported);
  return undefined;
}

/** Throw 000002 naming the construct when `word` starts one the emulator does not implement. */
function refuseUnsupportedKeyword(word: string, following: SqlNode | undefined, previous: SqlNode | undefined): void {
  if (word === 'CONNECT' && isWord(following, 'BY')) throw SnowflakeEmulatorError.unsupported('CONNECT BY');
  if ((word === 'AT' || word === 'BEFORE') && isParenGroup(following)) {
    throw SnowflakeEmulatorError.unsupported(`time travel ${word}(…)`);
  }
  if (word === 'LATERAL') throw SnowflakeEmulatorError.unsupported('LATERAL');
  if (word === 'CONNECT_BY_ROOT') throw SnowflakeEmulatorError.unsupported('CONNECT BY');
  if (word === 'TOP' && isWord(previous, 'SELECT', 'DISTINCT'))
    throw SnowflakeEmulatorError.unsupported('SELECT TOP n (use LIMIT)');
  const clause = UNSUPPORTED_CLAUSES[word];
  if (clause) {
    const hit =
      clause.followedBy === 'group'
        ? isParenGroup(following) ||
          ((word === 'SAMPLE' || word === 'TABLESAMPLE') && isWord(following, ...SAMPLE_METHODS))
        : isWord(following, ...clause.followedBy);
    if (hit) throw SnowflakeEmulatorError.unsupported(clause.name);
  }
}

/** `x::type`: DuckDB's type, or Snowflake's text rendering for a cast to VARCHAR. */
function translateCastOperator(nodes: readonly SqlNode[], i: number, out: SqlNode[], ctx: TranslationContext): number {
  const { type, next } = parseTypeAt(nodes, i + 1);
  const format = inputFormatFor(type.duckdb, ctx);
  if (type.duckdb === 'VARCHAR') {
    const operand = render(out.splice(operandStartIndex(out))).trim();
    out.push(raw(`SF_TO_VARCHAR(${operand})`));
  } else if (format !== undefined) {
    const operand = render(out.splice(operandStartIndex(out))).trim();
    out.push(raw(castWithInputFormat(operand, type.duckdb, format)));
  } else {
    out.push(raw(`::${type.duckdb}`));
  }
  return next - 1;
}

/** Which input format parameter reads text cast to a DuckDB type, and its value when it is not AUTO. */
function inputFormatFor(
  duckdbType: string,
  ctx: TranslationContext,
): { readonly parameter: string; readonly format: string } | undefined {
  const parameter =
    duckdbType === 'DATE'
      ? 'DATE_INPUT_FORMAT'
      : duckdbType === 'TIME'
        ? 'TIME_INPUT_FORMAT'
        : duckdbType === 'TIMESTAMP' || duckdbType === 'TIMESTAMPTZ'
          ? 'TIMESTAMP_INPUT_FORMAT'
          : undefined;
  if (parameter === undefined) return undefined;
  const value = ctx.session.parameters?.get(parameter);
  if (typeof value !== 'string' || value === '' || value.toUpperCase() === 'AUTO') return undefined;
  return { parameter, format: value };
}

/**
 * A cast of `operand` to a date/time type under an explicit DATE/TIME/TIMESTAMP_INPUT_FORMAT: text is read with
 * that format only (Snowflake: `Date '2024-01-02' is not recognized` when it does not match); other types cast as
 * usual (the input formats apply to text only).
 */
function castWithInputFormat(
  operand: string,
  duckdbType: string,
  input: { readonly parameter: string; readonly format: string },
): string {
  const kind =
    input.parameter === 'DATE_INPUT_FORMAT' ? 'DATE' : input.parameter === 'TIME_INPUT_FORMAT' ? 'TIME' : 'TIMESTAMP';
  const text = `CAST(${operand} AS VARCHAR)`;
  const parsed = `CAST(try_strptime(${text}, ${quoteString(strftimeFormat(input.format))}) AS ${duckdbType})`;
  const refused = `CAST(error('${INPUT_FORMAT_MARKER}:${kind}:' || ${text}) AS ${duckdbType})`;
  return `(CASE WHEN typeof(${operand}) <> 'VARCHAR' THEN CAST(${operand} AS ${duckdbType}) WHEN ${operand} IS NULL THEN NULL ELSE COALESCE(${parsed}, ${refused}) END)`;
}

/** Prefix of the error a cast raises for text that does not match the session's input format (duckdb-errors.ts). */
export const INPUT_FORMAT_MARKER = 'SF_INPUT_FORMAT_MISMATCH';

/** `v:a.b[0]` (optionally `::type`): JSON extraction from the operand before the `:`. */
function translatePath(nodes: readonly SqlNode[], i: number, out: SqlNode[], ctx: TranslationContext): number {
  const path = readPath(nodes, i + 1, ctx);
  if (!path) throw SnowflakeEmulatorError.unsupported(`':' here (named binds are not supported; use ? or :1)`);
  const operand = render(out.splice(operandStartIndex(out)));
  const jsonPathText = quoteString(jsonPath(path.elements));
  const castAt = nextSignificant(nodes, path.next);
  if (castAt >= 0 && isOp(nodes[castAt], '::')) {
    const { type, next } = parseTypeAt(nodes, castAt + 1);
    out.push(
      raw(
        type.duckdb === 'JSON'
          ? `json_extract(${operand}, ${jsonPathText})`
          : `CAST(json_extract_string(${operand}, ${jsonPathText}) AS ${type.duckdb})`,
      ),
    );
    return next - 1;
  }
  out.push(raw(`json_extract(${operand}, ${jsonPathText})`));
  return path.next - 1;
}

function bindLiteral(value: string, ctx: TranslationContext): string {
  let index: number;
  if (value === '') {
    index = ctx.bindCursor;
    ctx.bindCursor++;
  } else {
    index = Number(value) - 1;
  }
  const bound = ctx.binds[index];
  if (!bound) {
    throw SnowflakeEmulatorError.sql(
      '002049',
      '07001',
      `SQL compilation error: error line 0 at position -1\nBind variable ${value === '' ? '?' : `:${value}`} not set.`,
    );
  }
  return bound.literal;
}

/** Where the operand ending at the end of `out` starts (an identifier chain, a group or a raw node). */
function operandStartIndex(out: readonly SqlNode[]): number {
  let k = previousSignificant(out, out.length - 1);
  if (k < 0)
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      "SQL compilation error:\nsyntax error: unexpected ':' or '::'.",
    );
  // a function call: its name belongs to the operand
  if (out[k]?.type === 'group') {
    const name = previousSignificant(out, k - 1);
    if (name >= 0 && out[name]?.type === 'token' && (out[name] as { token: { kind: string } }).token.kind === 'word')
      k = name;
  }
  for (;;) {
    const dot = previousSignificant(out, k - 1);
    if (dot >= 0 && isOp(out[dot], '.')) {
      const before = previousSignificant(out, dot - 1);
      if (before >= 0) {
        k = before;
        continue;
      }
    }
    return k;
  }
}

/** Read a semi-structured path after `:` — `a.b[0]."c d"['e']`. Keys keep their case (JSON keys are case-sensitive). */
function readPath(
  nodes: readonly SqlNode[],
  from: number,
  ctx: TranslationContext,
): { elements: PathElement[]; next: number } | undefined {
  const elements: PathElement[] = [];
  const first = nodes[from];
  if (first?.type !== 'token' || (first.token.kind !== 'word' && first.token.kind !== 'quoted')) return undefined;
  elements.push({ key: first.token.kind === 'word' ? first.token.text : first.token.value });
  let i = from + 1;
  for (;;) {
    const node = nodes[i];
    if (isOp(node, '.')) {
      const key = nodes[i + 1];
      if (key?.type === 'token' && (key.token.kind === 'word' || key.token.kind === 'quoted')) {
        elements.push({ key: key.token.kind === 'word' ? key.token.text : key.token.value });
        i += 2;
        continue;
      }
      break;
    }
    if (node?.type === 'group' && node.open.value === '[') {
      const inner = significant(node.children);
      const only = inner[0];
      if (inner.length === 1 && only?.type === 'token' && only.token.kind === 'number') {
        elements.push({ index: Number(only.token.value) });
      } else if (inner.length === 1 && only?.type === 'token' && only.token.kind === 'string') {
        elements.push({ key: only.token.value });
      } else {
        void ctx;
        throw SnowflakeEmulatorError.unsupported('semi-structured path with a computed element');
      }
      i++;
      continue;
    }
    break;
  }
  return { elements, next: i };
}

function translateCastGroup(
  group: GroupNode,
  ctx: TranslationContext,
  tryCast = false,
): { group: GroupNode; toVarchar: string | undefined } {
  const children = group.children;
  let asIndex = -1;
  for (let k = children.length - 1; k >= 0; k--) {
    if (isWord(children[k], 'AS')) {
      asIndex = k;
      break;
    }
  }
  if (asIndex < 0)
    return { group: { ...group, children: translateExpressionNodes(children, ctx) }, toVarchar: undefined };
  let end = asIndex;
  while (end > 0 && isTriviaNode(children[end - 1])) end--;
  const translated = translateExpressionNodes(children.slice(0, end), ctx);
  // TRY_CAST takes text only (Snowflake refuses other input when it compiles): the argument's type decides
  const expr =
    tryCast && ctx.markers
      ? [raw(argumentMarker('tryCast', ctx.markers.next++, render(translated).trim()))]
      : translated;
  const { type, next } = parseTypeAt(children, asIndex + 1);
  const rest = trimTrivia(children.slice(next));
  if (rest.length > 0) throw SnowflakeEmulatorError.unsupported(`CAST option '${render(rest).trim()}'`);
  if (type.duckdb === 'VARCHAR') return { group, toVarchar: render(expr).trim() };
  const format = inputFormatFor(type.duckdb, ctx);
  if (format !== undefined) {
    // `CAST(x AS DATE)` → `CAST((…) AS DATE)`: the wrapped cast already has the type.
    return {
      group: {
        ...group,
        children: [raw(castWithInputFormat(render(expr).trim(), type.duckdb, format)), raw(` AS ${type.duckdb}`)],
      },
      toVarchar: undefined,
    };
  }
  return { group: { ...group, children: [...expr, raw(` AS ${type.duckdb}`)] }, toVarchar: undefined };
}

/** Rewrite a function call if the emulator translates it; `next` is the index after the consumed nodes. */
function rewriteCall(
  name: string,
  group: GroupNode,
  nodes: readonly SqlNode[],
  groupIndex: number,
  ctx: TranslationContext,
): { text: string; next: number } | undefined {
  const rewrite = FUNCTION_REWRITES[name];
  if (!rewrite) return undefined;
  let next = groupIndex + 1;
  let withinGroupOrder: string | undefined;
  // LISTAGG(x, ',') WITHIN GROUP (ORDER BY y) → string_agg(x, ',' ORDER BY y)
  const w = nextSignificant(nodes, next);
  if (w >= 0 && isWord(nodes[w], 'WITHIN')) {
    const g = nextSignificant(nodes, w + 1);
    const grp = nextSignificant(nodes, g + 1);
    const orderGroup = grp >= 0 ? nodes[grp] : undefined;
    if (isWord(nodes[g], 'GROUP') && isParenGroup(orderGroup)) {
      withinGroupOrder = render(translateExpressionNodes(orderGroup.children, ctx)).trim();
      next = grp + 1;
    }
  }
  const rawArgs = significant(group.children).length === 0 ? [] : splitOnCommas(group.children);
  const args = rawArgs.map((a) => render(translateExpressionNodes(a, ctx)).trim());
  const text = rewrite(args, { name, rawArgs, ctx, withinGroupOrder });
  return { text, next };
}
