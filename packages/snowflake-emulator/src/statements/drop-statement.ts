import { rm } from 'node:fs/promises';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext } from '../execution-context.js';
import { displayName, duckName, resolveName } from '../sql/object-name.js';
import type { PlanOf } from '../sql/statement-plan.js';
import { quoteIdent } from '../sql/syntax-tree.js';
import { namedStageDir, tableStageDir } from '../stage-area.js';
import { status, type StatementOutcome } from '../statement-outcome.js';
import { dropDatabase } from './database-statements.js';
import { doesNotExist } from './catalog-errors.js';

type DropPlan = PlanOf<'drop'>;

/** Drops one kind of object, or answers `missing` (IF EXISTS success, or 002003) when there is none. */
type Dropper = (
  plan: DropPlan,
  context: ExecutionContext,
  missing: (what: string, name: string) => StatementOutcome,
) => Promise<StatementOutcome>;

/** What DROP does, per object type. */
const DROPPERS: { readonly [T in DropPlan['objectType']]: Dropper } = {
  DATABASE: async (plan, { services }, missing) => {
    const name = plan.name[0] as string;
    if (services.engine.databaseName(name) === undefined) return missing('Database', name);
    await dropDatabase(name, services);
    return status(`${name} successfully dropped.`);
  },

  SCHEMA: async (plan, context, missing) => {
    const { session, services } = context;
    const parts = plan.name;
    const database = parts.length === 2 ? (parts[0] as string) : session.database;
    const schema = parts[parts.length - 1] as string;
    if (database === null || !(await context.schemaExists(database, schema)))
      return missing('Schema', `${database ?? ''}.${schema}`);
    await context.run(`DROP SCHEMA ${quoteIdent(database)}.${quoteIdent(schema)} CASCADE`);
    await services.metadata.dropContainer(database, schema);
    // sessions in the schema keep their database and lose the schema
    for (const s of services.sessions()) {
      if (s.database === database && s.schema === schema) {
        s.schema = null;
        s.resetContext();
      }
    }
    return status(`${schema} successfully dropped.`);
  },

  TABLE: (plan, context, missing) => dropRelation('TABLE', plan, context, missing),
  VIEW: (plan, context, missing) => dropRelation('VIEW', plan, context, missing),

  STAGE: async (plan, { session, services }, missing) => {
    const name = resolveName(plan.name, session, 'DROP STAGE');
    if (!services.metadata.stages.get(name)) return missing('Stage', displayName(name));
    await services.metadata.stages.delete(name);
    await rm(namedStageDir(services.dataDir, name.database, name.schema, name.name), { recursive: true, force: true });
    return status(`${name.name} successfully dropped.`);
  },

  'FILE FORMAT': async (plan, { session, services }, missing) => {
    const name = resolveName(plan.name, session, 'DROP FILE FORMAT');
    if (!services.metadata.fileFormats.get(name)) return missing('File format', displayName(name));
    await services.metadata.fileFormats.delete(name);
    return status(`${name.name} successfully dropped.`);
  },
};

/** DROP TABLE | VIEW | SCHEMA | DATABASE | STAGE | FILE FORMAT [IF EXISTS]. */
export async function dropObject(plan: DropPlan, context: ExecutionContext): Promise<StatementOutcome> {
  await context.commitBeforeDdl();
  const missing = (what: string, name: string): StatementOutcome => {
    if (plan.ifExists) return status(`Drop statement executed successfully (${name} already dropped).`);
    throw doesNotExist(what, name, '02000');
  };
  return DROPPERS[plan.objectType](plan, context, missing);
}

/** DROP TABLE | VIEW: comments go with it; a table's load metadata and table stage too. */
async function dropRelation(
  objectType: 'TABLE' | 'VIEW',
  plan: DropPlan,
  context: ExecutionContext,
  missing: (what: string, name: string) => StatementOutcome,
): Promise<StatementOutcome> {
  const { services } = context;
  const name = resolveName(plan.name, context.session, `DROP ${objectType}`);
  if (!(await context.tableExists(name, objectType))) {
    if (objectType === 'TABLE' && (await context.tableExists(name, 'VIEW'))) {
      throw SnowflakeEmulatorError.sql(
        '002203',
        '02000',
        `SQL compilation error:\nObject found is of type 'VIEW', not specified type 'TABLE'.`,
      );
    }
    return missing(objectType === 'TABLE' ? 'Table' : 'View', displayName(name));
  }
  await context.run(`DROP ${objectType} ${duckName(name)}`);
  await services.metadata.forgetComments(name.database, name.schema, name.name);
  await services.metadata.forgetGrants(name);
  if (objectType === 'TABLE') {
    await services.metadata.forgetLoads(name.database, name.schema, name.name);
    await rm(tableStageDir(services.dataDir, name.database, name.schema, name.name), { recursive: true, force: true });
  }
  return status(`${name.name} successfully dropped.`);
}
