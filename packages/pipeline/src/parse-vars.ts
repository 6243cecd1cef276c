import { parse } from 'yaml';

/**
 * The command line's `--vars`, as dbt reads it: a YAML (or JSON) mapping of names to values —
 * `--vars '{start: 2024-01-01, debug: true}'`. Throws an `Error` whose message says what is wrong.
 *
 * @example parseVars('{region: eu, limit: 10}') // { region: 'eu', limit: 10 }
 */
export function parseVars(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(
      `--vars is not YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); write a mapping, e.g. --vars '{key: value}'`,
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Error(
      `--vars must be a mapping of names to values, e.g. --vars '{key: value}' (got ${JSON.stringify(value)})`,
    );
  return value as Record<string, unknown>;
}
