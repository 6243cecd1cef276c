import { SnowflakeEmulatorError } from '../emulator-error.js';
import { status, type StatementOutcome } from '../statement-outcome.js';

/**
 * Snowflake's 002003 for an object that does not exist: `SQL compilation error:\n<What> '<name>' does not exist or
 * not authorized.` Snowflake answers SQLSTATE 42S02 where a table or view is read or changed, 02000 where an
 * object is dropped, used as a stage or looked up as a container.
 */
export function doesNotExist(what: string, name: string, sqlState: '42S02' | '02000'): SnowflakeEmulatorError {
  return SnowflakeEmulatorError.sql(
    '002003',
    sqlState,
    `SQL compilation error:\n${what} '${name}' does not exist or not authorized.`,
  );
}

/** 002003 for a database; `caseCollision` names the database DuckDB has whose name differs only in case. */
export function databaseDoesNotExist(database: string, caseCollision: string | undefined): SnowflakeEmulatorError {
  const note = caseCollision
    ? ` (The emulator has '${caseCollision}'; DuckDB cannot hold two databases whose names differ only in case.)`
    : '';
  return SnowflakeEmulatorError.sql(
    '002003',
    '02000',
    `SQL compilation error:\nDatabase '${database}' does not exist or not authorized.${note}`,
  );
}

/** Snowflake's 002002: `Object '<name>' already exists.` (`as` adds what it exists as: ` as a VIEW`). */
export function alreadyExists(name: string, as = ''): SnowflakeEmulatorError {
  return SnowflakeEmulatorError.sql('002002', '42710', `SQL compilation error:\nObject '${name}' already exists${as}.`);
}

/** Snowflake's 000904 for a column that does not exist. */
export function invalidIdentifier(name: string): SnowflakeEmulatorError {
  return SnowflakeEmulatorError.sql(
    '000904',
    '42000',
    `SQL compilation error: error line 1 at position 0\ninvalid identifier '${name}'`,
  );
}

/**
 * CREATE over an object that exists: with IF NOT EXISTS the answer is success and nothing changes, with OR REPLACE
 * the statement goes on, otherwise it is 002002. Returns the answer to give now, or undefined to go on creating.
 *
 * @example
 * const early = createOverExisting(plan, exists, name.name, displayName(name));
 * if (early) return early;
 */
export function createOverExisting(
  plan: { readonly ifNotExists: boolean; readonly orReplace: boolean },
  exists: boolean,
  name: string,
  displayed: string,
): StatementOutcome | undefined {
  if (!exists) return undefined;
  if (plan.ifNotExists) return status(`${name} already exists, statement succeeded.`);
  if (!plan.orReplace) throw alreadyExists(displayed);
  return undefined;
}
