import { StateError } from './state-error.js';

/**
 * A JSON value where every scalar is a string, boolean or null — never a JS number, so ids of any size and
 * timestamps to the microsecond are stored exactly.
 */
export type PositionValue =
  | string
  | boolean
  | null
  | readonly PositionValue[]
  | { readonly [key: string]: PositionValue };

/**
 * A table's incremental position: a JSON object of strings (and booleans, nulls, arrays, objects of them).
 *
 * @example
 * const position: Position = { updated_at: '2024-03-10 02:30:00.123456+00', id: '123456789012345678901234567890' };
 */
export type Position = { readonly [key: string]: PositionValue };

/** Any JSON value; run details may hold numbers (counts, seconds), positions may not. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

// Postgres jsonb refuses U+0000 and unpaired surrogates; refusing them in every store keeps the stores alike.
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Check that a value is a storable position and return it. Throws `StateError` `INVALID_POSITION` naming the
 * offending member (`position.id`) and what to do.
 */
export function assertPosition(value: unknown, table?: string): Position {
  const problem = findProblem(value, 'position', false);
  if (problem !== undefined) {
    const where = table === undefined ? '' : ` for table ${JSON.stringify(table)}`;
    throw new StateError(
      'INVALID_POSITION',
      `Invalid watermark position${where}: ${problem}`,
      table === undefined ? {} : { table },
    );
  }
  return value as Position;
}

/**
 * Check that a value is JSON that survives a round trip (finite numbers allowed, undefined object members
 * dropped); the first problem, or undefined. Used for run details.
 */
export function findJsonProblem(value: unknown, path: string): string | undefined {
  return findProblem(value, path, true);
}

function findProblem(value: unknown, path: string, allowNumbers: boolean): string | undefined {
  if (path === 'position' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    return `position must be a JSON object such as {"id": "42"}, got ${describe(value)}`;
  }
  return walk(value, path, allowNumbers, new Set());
}

function walk(value: unknown, path: string, allowNumbers: boolean, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return UNSTORABLE_TEXT.test(value)
        ? `${path} contains a NUL character or an unpaired surrogate, which cannot be stored; encode it (e.g. hex) first`
        : undefined;
    case 'boolean':
      return undefined;
    case 'number':
      if (!allowNumbers) {
        return `${path} is the number ${String(value)}; store ids and timestamps as strings (e.g. "${String(value)}") so they stay exact`;
      }
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON cannot hold`;
    case 'bigint':
      return `${path} is the bigint ${String(value)}n; store it as the string "${String(value)}"`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers back to itself`;
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) {
          const problem = walk(value[i], `${path}[${i}]`, allowNumbers, seen);
          if (problem !== undefined) return problem;
        }
        seen.delete(value);
        return undefined;
      }
      if (value instanceof Date) {
        return `${path} is a Date; store it as a string (e.g. "${Number.isNaN(value.getTime()) ? 'invalid date' : value.toISOString()}"), with the microseconds your source has`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        return `${path} is a ${describe(value)}, not a plain JSON object`;
      seen.add(value);
      for (const [key, member] of Object.entries(value)) {
        if (UNSTORABLE_TEXT.test(key)) return `${path} has a key with a NUL character or an unpaired surrogate`;
        if (member === undefined && allowNumbers) continue; // run details: an absent member, dropped like JSON.stringify does
        const problem = walk(
          member,
          `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`,
          allowNumbers,
          seen,
        );
        if (problem !== undefined) return problem;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${path} is ${describe(value)}, which JSON cannot hold`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `${name} object` : 'an object';
  }
  if (typeof value === 'undefined') return 'undefined';
  return `a ${typeof value}`;
}
