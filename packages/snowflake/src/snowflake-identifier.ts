import type { Relation } from '@sluice/warehouse';

/*
 * Names. Snowflake folds unquoted identifiers to upper case, and Sluice quotes every identifier it writes. A table
 * created as "vendas" (quoted, lower case) could then only be read as "vendas" — the models' unquoted
 * `select id_vendas from …` would look for ID_VENDAS and fail. So Sluice writes a name that *could* be written
 * unquoted exactly as Snowflake would store it unquoted: upper-cased. `vendas` → "VENDAS", `id_vendas` →
 * "ID_VENDAS"; a model that says `id_vendas` finds it. Names that cannot be written unquoted (spaces, accents,
 * dashes) keep their exact spelling. Reading back, an all-upper-case plain name becomes lower case again, so
 * `query` rows are keyed `id_vendas`, as on DuckDB.
 */

const PLAIN = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const PLAIN_UPPER = /^[A-Z_][A-Z0-9_$]*$/;

/**
 * The name Snowflake stores for a Sluice name: upper case when the name is a plain identifier, else as written.
 *
 * @example snowflakeName('id_vendas') // 'ID_VENDAS'
 * @example snowflakeName('preço') // 'preço'
 */
export function snowflakeName(name: string): string {
  return PLAIN.test(name) ? name.toUpperCase() : name;
}

/**
 * The Sluice name of a name Snowflake reports: a plain upper-case identifier in lower case, anything else as is.
 *
 * @example sluiceName('ID_VENDAS') // 'id_vendas'
 */
export function sluiceName(name: string): string {
  return PLAIN_UPPER.test(name) ? name.toLowerCase() : name;
}

/** `"ID_VENDAS"`: the Snowflake name of `name`, quoted, embedded quotes doubled. */
export function quoteSnowflakeIdentifier(name: string): string {
  return `"${snowflakeName(name).replaceAll('"', '""')}"`;
}

/** `"RAW"."VENDAS"`. */
export function qualifySnowflake(relation: Relation): string {
  return `${quoteSnowflakeIdentifier(relation.schema)}.${quoteSnowflakeIdentifier(relation.name)}`;
}

/**
 * A Snowflake string literal. Snowflake reads backslash escapes inside '…' (`'\n'` is a newline), so backslashes
 * are doubled as well as quotes: `snowflakeLiteral("a'b\\c")` → `'a''b\\\\c'`.
 */
export function snowflakeLiteral(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** Two names that Snowflake stores the same way. */
export function sameSnowflakeName(a: string, b: string): boolean {
  return snowflakeName(a) === snowflakeName(b);
}
