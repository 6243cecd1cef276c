import { rm } from 'node:fs/promises';
import path from 'node:path';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext, ExecutorServices } from '../execution-context.js';
import { StatementTypeId, type PlanOf } from '../sql/statement-plan.js';
import { quoteIdent } from '../sql/syntax-tree.js';
import { EXECUTED, status, type StatementOutcome } from '../statement-outcome.js';
import { createOverExisting } from './catalog-errors.js';

/** CREATE [OR REPLACE] DATABASE: a DuckDB file attached under its name, made current (schema PUBLIC). */
export async function createDatabase(
  plan: PlanOf<'create-database'>,
  context: ExecutionContext,
): Promise<StatementOutcome> {
  const { engine } = context.services;
  await context.commitBeforeDdl();
  const existing = engine.databaseName(plan.name);
  const collision = engine.caseCollision(plan.name);
  if (collision)
    throw SnowflakeEmulatorError.unsupported(
      `database '${plan.name}' next to '${collision}' (names differing only in case)`,
    );
  const early = createOverExisting(plan, existing !== undefined, plan.name, plan.name);
  if (early) return early;
  if (existing) await dropDatabase(plan.name, context.services);
  await engine.createDatabase(plan.name);
  context.session.database = plan.name;
  context.session.schema = 'PUBLIC';
  return status(`Database ${plan.name} successfully created.`);
}

/** CREATE [OR REPLACE] SCHEMA, made current. */
export async function createSchema(
  plan: PlanOf<'create-schema'>,
  context: ExecutionContext,
): Promise<StatementOutcome> {
  const { session } = context;
  await context.commitBeforeDdl();
  context.requireDatabase(plan.database);
  const exists = await context.schemaExists(plan.database, plan.schema);
  const early = createOverExisting(plan, exists, plan.schema, `${plan.database}.${plan.schema}`);
  if (early) return early;
  const schemaSql = `${quoteIdent(plan.database)}.${quoteIdent(plan.schema)}`;
  await context.atomically(async () => {
    if (exists) await context.run(`DROP SCHEMA ${schemaSql} CASCADE`);
    await context.run(`CREATE SCHEMA ${schemaSql}`);
  });
  if (exists) await context.services.metadata.dropContainer(plan.database, plan.schema);
  session.database = plan.database;
  session.schema = plan.schema;
  session.resetContext();
  return status(`Schema ${plan.schema} successfully created.`);
}

/** USE [DATABASE | SCHEMA | WAREHOUSE | ROLE | SECONDARY ROLES] name. */
export async function useObject(plan: PlanOf<'use'>, context: ExecutionContext): Promise<StatementOutcome> {
  const { session, services } = context;
  const notFound = (): SnowflakeEmulatorError =>
    SnowflakeEmulatorError.sql(
      '002043',
      '02000',
      'SQL compilation error:\nObject does not exist, or operation cannot be performed.',
    );
  const useDatabase = async (name: string): Promise<void> => {
    if (services.engine.databaseName(name) === undefined) throw notFound();
    session.database = name;
    session.schema = (await context.schemaExists(name, 'PUBLIC')) ? 'PUBLIC' : null;
  };
  const useSchema = async (parts: readonly string[]): Promise<void> => {
    const database = parts.length === 2 ? (parts[0] as string) : session.database;
    const schema = parts[parts.length - 1] as string;
    if (database === null || !(await context.schemaExists(database, schema))) throw notFound();
    session.database = database;
    session.schema = schema;
  };
  switch (plan.target) {
    case 'DATABASE':
      await useDatabase(plan.name[0] as string);
      break;
    case 'SCHEMA':
      await useSchema(plan.name);
      break;
    case 'WAREHOUSE':
      session.warehouse = plan.name[0] as string;
      services.warehouses.add(session.warehouse);
      break;
    case 'ROLE':
      session.role = plan.name[0] as string;
      break;
    case 'SECONDARY ROLES':
      break;
    case 'ANY':
      if (plan.name.length === 1) await useDatabase(plan.name[0] as string);
      else await useSchema(plan.name);
      break;
  }
  session.resetContext();
  return status(EXECUTED, StatementTypeId.USE);
}

/** Drop a database: sessions in it lose their context; its file, metadata and stages go. */
export async function dropDatabase(name: string, services: ExecutorServices): Promise<void> {
  for (const s of services.sessions()) {
    if (s.database === name) {
      s.database = null;
      s.schema = null;
      await s.connection.run('USE "sluice_emulator_no_database"').catch(() => undefined);
      s.resetContext();
    }
  }
  await services.engine.dropDatabase(name);
  await services.metadata.dropContainer(name);
  await rm(path.join(services.dataDir, 'stages', encodeURIComponent(name).replaceAll('.', '%2E')), {
    recursive: true,
    force: true,
  });
}
