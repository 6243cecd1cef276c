import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext } from '../execution-context.js';
import { checkedParameter } from '../session-parameter-rules.js';
import { DEFAULT_PARAMETERS, type ParameterValue } from '../session.js';
import { checkSessionParameter, SESSION_PARAMETER_RULES } from '../session-parameters.js';
import type { FormatValue } from '../sql/file-format.js';
import { StatementTypeId, type PlanOf } from '../sql/statement-plan.js';
import { EXECUTED, status, type StatementOutcome } from '../statement-outcome.js';

/**
 * ALTER SESSION SET / UNSET: parameters keep their type (number, TRUE/FALSE, text), and those with a rule in
 * `PARAMETER_RULES` are checked (a value they do not take is refused, as Snowflake does); UNSET restores the
 * account's setting, else Snowflake's default where the emulator has one. A TIMEZONE DuckDB does not know is refused
 * and the zone goes back to UTC. A parameter the emulator does not know, or a value it cannot honour, is refused
 * before anything changes (session-parameters.ts).
 */
export async function alterSession(
  plan: PlanOf<'alter-session'>,
  { session }: ExecutionContext,
): Promise<StatementOutcome> {
  // Every value is checked before any is set: a refused statement changes nothing.
  const values = [...plan.set].map(([key, value]) => [key, checkedParameter(key, parameterValue(value))] as const);
  for (const [key, value] of values) checkSessionParameter(key, value);
  for (const key of plan.unset) {
    if (SESSION_PARAMETER_RULES[key] === undefined) checkSessionParameter(key, '');
  }
  for (const [key, value] of values) session.parameters.set(key, value);
  for (const key of plan.unset) {
    session.parameters.delete(key);
    const fallback = session.accountParameters[key] ?? DEFAULT_PARAMETERS[key];
    if (fallback !== undefined) session.parameters.set(key, fallback);
  }
  try {
    await session.applyContext();
  } catch (error) {
    session.parameters.set('TIMEZONE', 'UTC');
    throw SnowflakeEmulatorError.sql(
      '001003',
      '22023',
      `SQL compilation error:\ninvalid value for parameter TIMEZONE: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return status(EXECUTED, StatementTypeId.ALTER_SESSION);
}

function parameterValue(value: FormatValue): ParameterValue {
  switch (value.kind) {
    case 'number':
      return value.value;
    case 'word':
      return value.value === 'TRUE' ? true : value.value === 'FALSE' ? false : value.value;
    case 'string':
      return value.value;
    default:
      return String(value.value);
  }
}

/** BEGIN / COMMIT / ROLLBACK: a second BEGIN, or COMMIT and ROLLBACK outside a transaction, change nothing. */
export async function transaction(plan: PlanOf<'transaction'>, context: ExecutionContext): Promise<StatementOutcome> {
  const { session } = context;
  if (plan.action === 'begin') {
    if (!session.inTransaction) {
      await context.run('BEGIN TRANSACTION');
      session.inTransaction = true;
    }
  } else if (session.inTransaction) {
    await context.run(plan.action === 'commit' ? 'COMMIT' : 'ROLLBACK');
    session.inTransaction = false;
  }
  return status(EXECUTED, StatementTypeId.TCL);
}

/** Statements accepted without effect (GRANT, CREATE WAREHOUSE, …); CREATE WAREHOUSE is remembered for SHOW. */
export async function acceptWithoutEffect(
  plan: PlanOf<'noop'>,
  { services }: ExecutionContext,
): Promise<StatementOutcome> {
  if (plan.warehouse !== undefined) services.warehouses.add(plan.warehouse);
  return status(plan.status, plan.statementTypeId);
}

/** SYSTEM$WAIT sleeps in the query service, outside the engine lock; it never reaches the executor. */
export async function waitOutsideExecutor(): Promise<StatementOutcome> {
  throw SnowflakeEmulatorError.sql('000603', 'XX000', 'SYSTEM$WAIT must be handled before the executor');
}
