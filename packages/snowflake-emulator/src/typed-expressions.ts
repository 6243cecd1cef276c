import type { DuckDBConnection } from '@duckdb/node-api';
import { SnowflakeEmulatorError } from './emulator-error.js';
import { MARKER_MACROS, type MarkerKind, markerComment } from './sql/typed-markers.js';

/**
 * The executor's half of Snowflake's typing rules for arithmetic (the planner's half, and why, is in
 * sql/typed-markers.ts): before a statement runs, each marked expression's operand types are read from DuckDB's
 * binder, and the expression is rewritten by Snowflake's rule. Markers are resolved innermost first, so an outer
 * product sees the Snowflake type of an inner one.
 *
 * The types come from a probe: the marker's macro is swapped for `map_keys(a, b)` — a function that takes one MAP —
 * and the statement is prepared (bound, not run); DuckDB refuses it naming the argument types. A probe that fails
 * otherwise (an unknown column, say) leaves the marker as it is, and running the statement reports that error.
 *
 * Rules (https://docs.snowflake.com/en/sql-reference/operators-arithmetic, "Scale and precision in arithmetic
 * operations"; L = leading digits, S = scale):
 * - `a * b`: S = min(S1 + S2, max(S1, S2, 12)). DuckDB keeps S1 + S2 (and overflows past 38 digits): where that is
 *   more, the product is computed exactly from its integer and fraction parts and rounded to S.
 * - `a / b` of NUMBERs: S = max(S1, min(S1 + 6, 12)), a NUMBER (DuckDB: DOUBLE). Computed in DOUBLE and rounded
 *   to S (exact to about 15 significant digits). A zero divisor raises 100051 (the marker's macro does that).
 * - `AVG(x)` of a NUMBER: a NUMBER with the scale of a division by the count (the AVG page's example: the average
 *   of integers 1, 2, 2 is 1.666667); computed as DuckDB's DOUBLE average, rounded to that scale.
 * - `TRY_CAST(x AS t)`: only text input (https://docs.snowflake.com/en/sql-reference/functions/try_cast); any
 *   other type is refused when the statement compiles.
 */

/** The marker macros by name, and what each marks. */
const KIND_OF_MACRO = new Map<string, MarkerKind>(
  Object.entries(MARKER_MACROS).map(([kind, macro]) => [macro, kind as MarkerKind]),
);
const MARKER_START = new RegExp(`\\b(${Object.values(MARKER_MACROS).join('|')})\\((\\d+), `, 'g');
const PROBE = 'map_keys(';
const PROBE_ERROR = /No function matches the given name and argument types 'map_keys\((.*)\)'\. You might need/;

/** A NUMBER's digits: precision (leading digits + scale) and scale. */
interface Fixed {
  readonly precision: number;
  readonly scale: number;
}

/** DuckDB integer types and the NUMBER(p,0) that holds them. */
const INTEGER_PRECISION: Record<string, number> = {
  TINYINT: 3,
  SMALLINT: 5,
  INTEGER: 10,
  BIGINT: 19,
  HUGEINT: 38,
  UTINYINT: 3,
  USMALLINT: 5,
  UINTEGER: 10,
  UBIGINT: 20,
  UHUGEINT: 38,
  INTEGER_LITERAL: 38,
};

/** The NUMBER a DuckDB type is (DECIMAL and the integers), or undefined (FLOAT, text, …). */
function fixedType(type: string): Fixed | undefined {
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return { precision: Number(decimal[1]), scale: Number(decimal[2]) };
  const integer = INTEGER_PRECISION[type];
  return integer === undefined ? undefined : { precision: integer, scale: 0 };
}

/** Split DuckDB's argument type list at top-level commas (`DECIMAL(38,18), INTEGER`). */
function splitTypes(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(list.slice(start).trim());
  return out;
}

/** The argument types DuckDB's binder reports for the probe, or undefined when it failed for another reason. */
async function probeTypes(connection: DuckDBConnection, sql: string): Promise<string[] | undefined> {
  try {
    const prepared = await connection.prepare(sql);
    prepared.destroySync();
    return undefined;
  } catch (error) {
    const match = PROBE_ERROR.exec(error instanceof Error ? error.message : String(error));
    return match ? splitTypes(match[1] as string) : undefined;
  }
}

/** Snowflake's name of a DuckDB type, for messages. */
function snowflakeTypeName(type: string): string {
  const fixed = fixedType(type);
  if (fixed) return `NUMBER(${fixed.precision},${fixed.scale})`;
  if (type === 'DOUBLE' || type === 'FLOAT') return 'FLOAT';
  if (type === 'TIMESTAMP') return 'TIMESTAMP_NTZ(9)';
  if (type === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMP_TZ(9)';
  if (type === 'JSON') return 'VARIANT';
  if (type === 'BLOB') return 'BINARY(8388608)';
  return type;
}

/** One marker found in the SQL text. */
interface Marker {
  readonly kind: MarkerKind;
  readonly id: number;
  readonly at: number;
}

/**
 * Resolve the typed markers of one DuckDB statement (see above). SQL without markers is returned as it is.
 *
 * @example await resolveTypedMarkers(connection, 'SELECT SF_MUL(0, a/*sf:0:sep*\/, b/*sf:0:end*\/) FROM t')
 */
export async function resolveTypedMarkers(connection: DuckDBConnection, sql: string): Promise<string> {
  if (!sql.includes('SF_')) return sql;
  const markers: Marker[] = [];
  const seen = new Map<string, number>();
  for (const match of sql.matchAll(MARKER_START)) {
    const kind = KIND_OF_MACRO.get(match[1] as string) as MarkerKind;
    const key = `${kind}:${match[2]}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    markers.push({ kind, id: Number(match[2]), at: match.index });
  }
  let text = sql;
  // innermost (latest) first; a marker whose id occurs twice is ambiguous and keeps DuckDB's semantics
  for (const marker of markers.sort((a, b) => b.at - a.at)) {
    if ((seen.get(`${marker.kind}:${marker.id}`) ?? 0) > 1) continue;
    text = await resolveMarker(connection, text, marker);
  }
  return text;
}

async function resolveMarker(connection: DuckDBConnection, sql: string, marker: Marker): Promise<string> {
  const prefix = `${MARKER_MACROS[marker.kind]}(${marker.id}, `;
  const at = sql.indexOf(prefix);
  const end = markerComment(marker.id, 'end');
  const endAt = at < 0 ? -1 : sql.indexOf(`${end})`, at);
  if (at < 0 || endAt < 0) return sql;
  const binary = marker.kind === 'multiply' || marker.kind === 'divide';
  const probe = binary
    ? `${sql.slice(0, at)}${PROBE}${sql.slice(at + prefix.length)}`
    : `${sql.slice(0, at)}${PROBE}${sql.slice(at + prefix.length, endAt)}, NULL)${sql.slice(endAt + end.length + 1)}`;
  const types = await probeTypes(connection, probe);
  if (types === undefined) return sql;
  const replace = (text: string): string => `${sql.slice(0, at)}${text}${sql.slice(endAt + end.length + 1)}`;
  switch (marker.kind) {
    case 'multiply': {
      const left = fixedType(types[0] ?? '');
      const right = fixedType(types[1] ?? '');
      if (!left || !right) return sql;
      const scale = Math.min(left.scale + right.scale, Math.max(left.scale, right.scale, 12));
      if (scale === left.scale + right.scale) return sql;
      const [a, b] = operands(sql, marker.id, at + prefix.length, endAt);
      return replace(exactProduct(a, b, left, right, scale));
    }
    case 'divide': {
      const left = fixedType(types[0] ?? '');
      const right = fixedType(types[1] ?? '');
      if (!left || !right) return sql;
      const scale = Math.max(left.scale, Math.min(left.scale + 6, 12));
      const [a, b] = operands(sql, marker.id, at + prefix.length, endAt);
      return replace(`CAST(CAST(${a} AS DOUBLE) / SF_DIVISOR(CAST(${b} AS DOUBLE)) AS DECIMAL(38,${scale}))`);
    }
    case 'average': {
      const argument = fixedType(types[0] ?? '');
      const begin = markerComment(marker.id, 'begin');
      const stop = markerComment(marker.id, 'stop');
      if (!argument || !sql.includes(begin) || !sql.includes(stop)) return sql;
      const scale = Math.max(argument.scale, Math.min(argument.scale + 6, 12));
      return sql.replace(begin, 'CAST(').replace(stop, ` AS DECIMAL(38,${scale}))`);
    }
    case 'tryCast': {
      const type = types[0] ?? '';
      if (type === 'VARCHAR' || type === 'STRING_LITERAL' || type === '"NULL"') return sql;
      const target = /^\s*AS\s+([^)]+(?:\([^)]*\))?)\)/i.exec(sql.slice(endAt + end.length + 1))?.[1];
      throw SnowflakeEmulatorError.sql(
        '001044',
        '42P13',
        `SQL compilation error:\nFunction TRY_CAST cannot be used with arguments of types ${snowflakeTypeName(type)} and ${snowflakeTypeName((target ?? '').trim())}`,
      );
    }
  }
}

/** The two operand texts of a binary marker (between its prefix, `/*sf:id:sep*\/, ` and `/*sf:id:end*\/`). */
function operands(sql: string, id: number, from: number, endAt: number): [string, string] {
  const sep = `${markerComment(id, 'sep')}, `;
  const sepAt = sql.indexOf(sep, from);
  return [sql.slice(from, sepAt), sql.slice(sepAt + sep.length, endAt)];
}

/**
 * `a * b` at Snowflake's scale, exactly: a = ai + af, b = bi + bf (integer and fraction parts), and
 * a·b = ai·bi + ai·bf + af·bi + af·bf — each partial product fits DuckDB's 38 digits whenever the result does
 * (the last is below 1; its fraction is rounded to 38 digits first when the scales add up to more). Each part is
 * cast to DECIMAL(38,S) before the sum: the first three are exact at S, so only the last rounds, as the whole
 * product would.
 */
function exactProduct(a: string, b: string, left: Fixed, right: Fixed, scale: number): string {
  const target = `DECIMAL(38,${scale})`;
  const intPart = (x: string): string => `CAST(trunc(${x}) AS DECIMAL(38,0))`;
  // below 1, and rounding to fewer digits can reach 1: one leading digit
  const fraction = (x: string, digits: number): string =>
    `CAST((${x}) - trunc(${x}) AS DECIMAL(${digits + 1},${digits}))`;
  const leftDigits = Math.min(left.scale, 38 - right.scale);
  const part = (x: string): string => `CAST(${x} AS ${target})`;
  return `(${[
    part(`${intPart(a)} * ${intPart(b)}`),
    part(`${intPart(a)} * ${fraction(b, right.scale)}`),
    part(`${fraction(a, left.scale)} * ${intPart(b)}`),
    part(`${fraction(a, leftDigits)} * ${fraction(b, right.scale)}`),
  ].join(' + ')})`;
}
