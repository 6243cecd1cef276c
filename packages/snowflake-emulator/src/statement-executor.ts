import { createExecutionContext, type ExecutionContext, type ExecutorServices } from './execution-context.js';
import type { Session } from './session.js';
import type { PlanOf, StatementPlan } from './sql/statement-plan.js';
import type { StatementOutcome } from './statement-outcome.js';
import { copyInto } from './statements/copy-into-statement.js';
import { createDatabase, createSchema, useObject } from './statements/database-statements.js';
import { describeObject } from './statements/describe-object.js';
import { dropObject } from './statements/drop-statement.js';
import { deleteRows, insertRows, mergeRows, runQuery, updateRows } from './statements/query-statements.js';
import {
  acceptWithoutEffect,
  alterSession,
  transaction,
  waitOutsideExecutor,
} from './statements/session-statements.js';
import { grantPrivilege, showGrants } from './statements/grant-statements.js';
import { checkNameCase } from './statements/name-case.js';
import { showObjects } from './statements/show-objects.js';
import {
  createFileFormat,
  createStage,
  getFiles,
  listFiles,
  putFiles,
  removeFiles,
} from './statements/stage-statements.js';
import {
  alterTable,
  alterViewRename,
  commentOn,
  createTable,
  createView,
  truncateTable,
} from './statements/table-statements.js';

/** Runs one kind of plan. */
export type StatementHandler<K extends StatementPlan['kind']> = (
  plan: PlanOf<K>,
  context: ExecutionContext,
) => Promise<StatementOutcome>;

/**
 * The handler of every statement kind. A new kind of statement is a new `StatementPlan` variant, produced by the
 * planner, and one handler here (TypeScript refuses the table until it has one).
 */
const STATEMENT_HANDLERS: { readonly [K in StatementPlan['kind']]: StatementHandler<K> } = {
  query: runQuery,
  insert: insertRows,
  update: updateRows,
  delete: deleteRows,
  merge: mergeRows,
  'create-table': createTable,
  'create-view': createView,
  'create-database': createDatabase,
  'create-schema': createSchema,
  drop: dropObject,
  truncate: truncateTable,
  'alter-table': alterTable,
  'alter-view-rename': alterViewRename,
  comment: commentOn,
  use: useObject,
  'alter-session': alterSession,
  transaction,
  show: showObjects,
  grant: grantPrivilege,
  'show-grants': showGrants,
  describe: describeObject,
  noop: acceptWithoutEffect,
  wait: waitOutsideExecutor,
  'create-stage': createStage,
  'create-file-format': createFileFormat,
  put: putFiles,
  get: getFiles,
  list: listFiles,
  remove: removeFiles,
  'copy-into': copyInto,
};

/** Run a plan for a session. The caller holds the engine's exclusive lock and has applied the session context. */
export async function executePlan(
  session: Session,
  plan: StatementPlan,
  services: ExecutorServices,
): Promise<StatementOutcome> {
  // TypeScript cannot tie STATEMENT_HANDLERS[plan.kind] to plan's own variant; the table's type guarantees it.
  const handler = STATEMENT_HANDLERS[plan.kind] as StatementHandler<StatementPlan['kind']>;
  const context = createExecutionContext(session, services);
  // names are checked with Snowflake's case rules first (DuckDB, which runs the statement, ignores case)
  if ('names' in plan && plan.names !== undefined) await checkNameCase(plan.names, context);
  return handler(plan, context);
}
