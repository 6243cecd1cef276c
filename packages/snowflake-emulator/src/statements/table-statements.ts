import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext, RelationKind } from '../execution-context.js';
import { DECLARED_TYPE_PREFIX, TABLE_KIND_PREFIX } from '../sql/information-schema.js';
import { displayName, duckName, type QualifiedName } from '../sql/object-name.js';
import { resultTypeOfDeclared } from '../sql/snowflake-types.js';
import type { DeclaredColumn, PlanOf } from '../sql/statement-plan.js';
import { quoteIdent, quoteString } from '../sql/syntax-tree.js';
import { EXECUTED, status, type StatementOutcome } from '../statement-outcome.js';
import { alreadyExists, createOverExisting, doesNotExist, invalidIdentifier } from './catalog-errors.js';
import { enforceDeclaredLengths } from './declared-lengths.js';

/** CREATE [OR REPLACE] [TEMPORARY | TRANSIENT] TABLE: declared types and the table kind kept as DuckDB comments. */
export async function createTable(plan: PlanOf<'create-table'>, context: ExecutionContext): Promise<StatementOutcome> {
  const { run, services, session } = context;
  const target = plan.target;
  await context.commitBeforeDdl();
  context.requireDatabase(target.database);
  const exists = await context.tableExists(target, 'ANY');
  const early = createOverExisting(plan, exists, target.name, displayName(target));
  if (early) return early;
  await context.atomically(async () => {
    if (exists && plan.orReplace && (await context.tableExists(target, 'VIEW'))) {
      throw alreadyExists(displayName(target), ' as a VIEW');
    }
    for (const step of plan.steps) await run(step);
    for (const d of plan.declared) {
      await run(
        `COMMENT ON COLUMN ${duckName(target)}.${quoteIdent(d.column)} IS ${quoteString(DECLARED_TYPE_PREFIX + d.snowflakeType)}`,
      );
    }
    const kind = plan.temporary ? 'TEMPORARY' : plan.transient ? 'TRANSIENT' : undefined;
    if (kind) await run(`COMMENT ON TABLE ${duckName(target)} IS ${quoteString(TABLE_KIND_PREFIX + kind)}`);
    // CREATE TABLE (c VARCHAR(n)) AS SELECT …: the rows must fit the declared lengths
    if (plan.compute && plan.declared.some((d) => d.snowflakeType.startsWith('VARCHAR(')))
      await enforceDeclaredLengths(target, context);
  });
  await services.metadata.forgetLoads(target.database, target.schema, target.name);
  await services.metadata.forgetComments(target.database, target.schema, target.name);
  await services.metadata.changeComments(target, plan.comments);
  // CREATE OR REPLACE drops the replaced table's grants unless it says COPY GRANTS
  if (!plan.copyGrants) await services.metadata.forgetGrants(target);
  if (plan.temporary) session.temporaryTables.push(target);
  return status(`Table ${target.name} successfully created.`);
}

/** CREATE [OR REPLACE] VIEW (DuckDB itself refuses a plain CREATE over an existing view). */
export async function createView(plan: PlanOf<'create-view'>, context: ExecutionContext): Promise<StatementOutcome> {
  const target = plan.target;
  await context.commitBeforeDdl();
  context.requireDatabase(target.database);
  if (plan.ifNotExists && (await context.tableExists(target, 'ANY')))
    return status(`${target.name} already exists, statement succeeded.`);
  await context.run(plan.sql);
  await context.services.metadata.forgetComments(target.database, target.schema, target.name);
  // CREATE OR REPLACE drops the replaced view's grants unless it says COPY GRANTS
  if (!plan.copyGrants) await context.services.metadata.forgetGrants(target);
  return status(`View ${target.name} successfully created.`);
}

/** TRUNCATE [IF EXISTS]: the rows and the table's load metadata go. */
export async function truncateTable(plan: PlanOf<'truncate'>, context: ExecutionContext): Promise<StatementOutcome> {
  const target = plan.target;
  if (!(await context.tableExists(target))) {
    if (plan.ifExists) return status(EXECUTED);
    throw doesNotExist('Table', displayName(target), '42S02');
  }
  await context.run(`DELETE FROM ${duckName(target)}`);
  await context.services.metadata.forgetLoads(target.database, target.schema, target.name);
  return status(EXECUTED);
}

/** ALTER TABLE: column steps, RENAME TO, SWAP WITH (comments and load metadata follow the table). */
export async function alterTable(plan: PlanOf<'alter-table'>, context: ExecutionContext): Promise<StatementOutcome> {
  await context.commitBeforeDdl();
  if (!(await context.tableExists(plan.target))) {
    if (plan.ifExists) return status(EXECUTED);
    throw doesNotExist('Table', displayName(plan.target), '42S02');
  }
  const action = plan.action;
  if (action.type === 'steps') {
    await alterSteps(plan.target, action.steps, action.declared, context);
    await context.services.metadata.changeComments(plan.target, action.comments);
  } else if (action.type === 'rename') {
    await renameTable(plan.target, action.to, context);
  } else if (action.type === 'swap') {
    await swapTables(plan.target, action.with, context);
  }
  return status(EXECUTED);
}

async function alterSteps(
  target: QualifiedName,
  steps: readonly string[],
  declared: readonly DeclaredColumn[],
  context: ExecutionContext,
): Promise<void> {
  await context.atomically(async () => {
    for (const step of steps) await context.run(step);
    for (const d of declared) {
      // a type DuckDB keeps as it is needs no declared-type comment (and loses an old one)
      const comment = resultTypeOfDeclared(d.snowflakeType.replace(/\(.*$/, ''))
        ? quoteString(DECLARED_TYPE_PREFIX + d.snowflakeType)
        : 'NULL';
      await context.run(`COMMENT ON COLUMN ${duckName(target)}.${quoteIdent(d.column)} IS ${comment}`);
    }
  });
}

async function renameTable(target: QualifiedName, to: QualifiedName, context: ExecutionContext): Promise<void> {
  if (to.database !== target.database || to.schema !== target.schema) {
    throw SnowflakeEmulatorError.unsupported('ALTER TABLE … RENAME TO another schema or database');
  }
  await context.run(`ALTER TABLE ${duckName(target)} RENAME TO ${quoteIdent(to.name)}`);
  await context.services.metadata.renameLoads(target, to);
  await context.services.metadata.renameComments(target, to);
  await context.services.metadata.renameGrants(target, to);
}

/** SWAP WITH: three renames in one transaction, through a temporary name. */
async function swapTables(target: QualifiedName, other: QualifiedName, context: ExecutionContext): Promise<void> {
  if (other.database !== target.database || other.schema !== target.schema) {
    throw SnowflakeEmulatorError.unsupported('ALTER TABLE … SWAP WITH a table in another schema or database');
  }
  if (!(await context.tableExists(other))) throw doesNotExist('Table', displayName(other), '42S02');
  const temp: QualifiedName = { ...target, name: `${target.name}__sluice_swap_${Date.now()}` };
  await context.atomically(async () => {
    await context.run(`ALTER TABLE ${duckName(target)} RENAME TO ${quoteIdent(temp.name)}`);
    await context.run(`ALTER TABLE ${duckName(other)} RENAME TO ${quoteIdent(target.name)}`);
    await context.run(`ALTER TABLE ${duckName(temp)} RENAME TO ${quoteIdent(other.name)}`);
  });
  // the metadata follows the same three renames
  const renames = [
    [target, temp],
    [other, target],
    [temp, other],
  ] as const;
  for (const [from, to] of renames) await context.services.metadata.renameLoads(from, to);
  for (const [from, to] of renames) await context.services.metadata.renameComments(from, to);
  for (const [from, to] of renames) await context.services.metadata.renameGrants(from, to);
}

/** ALTER VIEW … RENAME TO. */
export async function alterViewRename(
  plan: PlanOf<'alter-view-rename'>,
  context: ExecutionContext,
): Promise<StatementOutcome> {
  await context.commitBeforeDdl();
  if (!(await context.tableExists(plan.target, 'VIEW'))) {
    if (plan.ifExists) return status(EXECUTED);
    throw doesNotExist('View', displayName(plan.target), '42S02');
  }
  await context.run(`ALTER VIEW ${duckName(plan.target)} RENAME TO ${quoteIdent(plan.to.name)}`);
  await context.services.metadata.renameComments(plan.target, plan.to);
  await context.services.metadata.renameGrants(plan.target, plan.to);
  return status(EXECUTED);
}

/** COMMENT [IF EXISTS] ON TABLE | VIEW | COLUMN … IS '…' (kept by the metadata store). */
export async function commentOn(plan: PlanOf<'comment'>, context: ExecutionContext): Promise<StatementOutcome> {
  await context.commitBeforeDdl();
  const kind: RelationKind = plan.objectType === 'VIEW' ? 'VIEW' : plan.objectType === 'TABLE' ? 'TABLE' : 'ANY';
  if (!(await context.tableExists(plan.target, kind))) {
    if (plan.ifExists) return status(EXECUTED);
    throw doesNotExist(plan.objectType === 'VIEW' ? 'View' : 'Table', displayName(plan.target), '42S02');
  }
  const { metadata } = context.services;
  if (plan.column !== undefined) {
    const found = await context.readAll(
      `SELECT 1 FROM duckdb_columns() WHERE database_name = ${quoteString(plan.target.database)} AND schema_name = ${quoteString(plan.target.schema)} AND table_name = ${quoteString(plan.target.name)} AND column_name = ${quoteString(plan.column)}`,
    );
    if (found.length === 0) throw invalidIdentifier(plan.column);
    await metadata.changeComments(plan.target, [{ type: 'column', column: plan.column, text: plan.text }]);
  } else {
    await metadata.changeComments(plan.target, [{ type: 'table', text: plan.text }]);
  }
  return status(EXECUTED);
}
