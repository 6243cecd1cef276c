import { inTransaction, runSql, type NovaDriveClient } from './novadrive-client.js';
import { NovaDriveError } from './novadrive-error.js';
import {
  addForeignKeySql,
  addPrimaryKeySql,
  checkSchemaName,
  createIndexSql,
  createTableSql,
  NOVADRIVE_FOREIGN_KEYS,
  NOVADRIVE_INDEXES,
  NOVADRIVE_TABLES,
  qualifiedTable,
  quoteIdent,
  tableLabel,
  type NovaDriveTable,
} from './novadrive-tables.js';

/** Options of `createNovaDriveSchema`. */
export interface CreateNovaDriveSchemaOptions {
  /** The Postgres schema to create the tables in (created if missing). Default `public`. */
  readonly schema?: string;
  /** Drop the seven tables first when they exist (their data is lost). Default `false`: existing tables are an error. */
  readonly replace?: boolean;
}

/** What `createNovaDriveSchema` did. */
export interface CreateNovaDriveSchemaResult {
  readonly schema: string;
  readonly tables: readonly NovaDriveTable[];
  /** The tables that existed and were dropped first (only with `replace: true`). */
  readonly dropped: readonly NovaDriveTable[];
}

/**
 * Create the seven NovaDrive tables with their primary keys, foreign keys and indexes, in one transaction.
 * Existing NovaDrive tables are an error (`TABLES_EXIST`) unless `replace: true`, which drops them first.
 *
 * @example await createNovaDriveSchema(client, { schema: 'public', replace: true });
 */
export async function createNovaDriveSchema(
  client: NovaDriveClient,
  options: CreateNovaDriveSchemaOptions = {},
): Promise<CreateNovaDriveSchemaResult> {
  const schema = checkSchemaName(options.schema ?? 'public');
  return inTransaction(client, async () => {
    await runSql(client, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    const existing = await existingTables(client, schema);
    if (existing.length > 0 && options.replace !== true) {
      throw new NovaDriveError(
        'TABLES_EXIST',
        `NovaDrive tables already exist: ${existing.map((t) => tableLabel(schema, t)).join(', ')}; ` +
          'pass { replace: true } to drop and recreate them, or use another schema',
        { table: tableLabel(schema, existing[0] ?? 'vendas') },
      );
    }
    for (const table of [...NOVADRIVE_TABLES].reverse()) {
      if (!existing.includes(table)) continue;
      try {
        await runSql(client, `DROP TABLE ${qualifiedTable(schema, table)}`, [], tableLabel(schema, table));
      } catch (error) {
        throw new NovaDriveError(
          'STATEMENT_FAILED',
          `could not drop ${tableLabel(schema, table)} to replace it: ${error instanceof Error ? error.message : String(error)}; ` +
            'drop the views or tables that depend on it first',
          { table: tableLabel(schema, table), cause: error },
        );
      }
    }
    for (const table of NOVADRIVE_TABLES) {
      await runSql(client, createTableSql(schema, table), [], tableLabel(schema, table));
      await runSql(client, addPrimaryKeySql(schema, table), [], tableLabel(schema, table));
    }
    for (const key of NOVADRIVE_FOREIGN_KEYS) {
      await runSql(client, addForeignKeySql(schema, key), [], tableLabel(schema, key.table));
    }
    for (const index of NOVADRIVE_INDEXES) {
      await runSql(client, createIndexSql(schema, index), [], tableLabel(schema, index.table));
    }
    return { schema, tables: NOVADRIVE_TABLES, dropped: existing };
  });
}

/** The NovaDrive table names that exist (as any relation) in the schema, in NOVADRIVE_TABLES order. */
export async function existingTables(client: NovaDriveClient, schema: string): Promise<NovaDriveTable[]> {
  const rows = await runSql<{ relname: string }>(
    client,
    `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
    [schema, [...NOVADRIVE_TABLES]],
  );
  const found = new Set(rows.map((row) => row.relname));
  return NOVADRIVE_TABLES.filter((table) => found.has(table));
}

/** Fail with TABLES_MISSING unless all seven tables exist. */
export async function requireNovaDriveTables(client: NovaDriveClient, schema: string): Promise<void> {
  const existing = await existingTables(client, schema);
  const missing = NOVADRIVE_TABLES.filter((table) => !existing.includes(table));
  if (missing.length > 0) {
    throw new NovaDriveError(
      'TABLES_MISSING',
      `NovaDrive tables are missing: ${missing.map((t) => tableLabel(schema, t)).join(', ')}; run createNovaDriveSchema first`,
      { table: tableLabel(schema, missing[0] ?? 'vendas') },
    );
  }
}
