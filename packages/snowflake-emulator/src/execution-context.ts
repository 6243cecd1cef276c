import type { DuckDBResultReader, DuckDBValue } from '@duckdb/node-api';
import type { DuckDbEngine } from './duckdb-engine.js';
import type { MetadataStore } from './metadata-store.js';
import type { Session } from './session.js';
import type { QualifiedName } from './sql/object-name.js';
import { quoteString } from './sql/syntax-tree.js';
import { databaseDoesNotExist } from './statements/catalog-errors.js';
import { resolveTypedMarkers } from './typed-expressions.js';

/** A PUT the driver is about to carry out: where the files will land (for the bytes-uploaded statistic). */
export interface PendingUpload {
  readonly directory: string;
  readonly files: readonly string[];
}

/** What the executor uses besides the session. */
export interface ExecutorServices {
  readonly engine: DuckDbEngine;
  readonly metadata: MetadataStore;
  readonly dataDir: string;
  readonly warehouses: Set<string>;
  readonly onUpload: (sessionId: string, upload: PendingUpload) => void;
  /** All live sessions (a dropped database is cleared from their context). */
  readonly sessions: () => Iterable<Session>;
}

/** Which catalog objects `tableExists` looks for. */
export type RelationKind = 'TABLE' | 'VIEW' | 'ANY';

/** What a statement handler works with: the session, the services, and the catalog and transaction steps they share. */
export interface ExecutionContext {
  readonly session: Session;
  readonly services: ExecutorServices;
  /** Run DuckDB SQL on the session's connection. */
  run(sql: string): Promise<void>;
  /** Run DuckDB SQL and read every row. */
  readAll(sql: string): Promise<DuckDBValue[][]>;
  /** Run DuckDB SQL and keep DuckDB's result (its columns, rows and changed-row count). */
  execute(sql: string): Promise<DuckDBResultReader>;
  /** Run work in a transaction of its own, unless the session already has one open (then it is part of that). */
  atomically<T>(work: () => Promise<T>): Promise<T>;
  /** Snowflake commits an open transaction before any DDL, and runs the DDL in a transaction of its own. */
  commitBeforeDdl(): Promise<void>;
  /** Does a table (or view, or either) of that name exist? False when its database does not. */
  tableExists(name: QualifiedName, kind?: RelationKind): Promise<boolean>;
  schemaExists(database: string, schema: string): Promise<boolean>;
  /** Throw Snowflake's 002003 unless the database exists. */
  requireDatabase(database: string): void;
}

/** The context for one statement. The caller holds the engine's exclusive lock and has applied the session context. */
export function createExecutionContext(session: Session, services: ExecutorServices): ExecutionContext {
  const conn = session.connection;
  // Every statement's typed markers are resolved before it runs (typed-expressions.ts).
  const execute = async (sql: string): Promise<DuckDBResultReader> =>
    conn.runAndReadAll(await resolveTypedMarkers(conn, sql));
  const run = async (sql: string): Promise<void> => {
    await conn.run(await resolveTypedMarkers(conn, sql));
  };
  const readAll = async (sql: string): Promise<DuckDBValue[][]> => (await execute(sql)).getRows();
  return {
    session,
    services,
    run,
    readAll,
    execute,
    atomically: async <T>(work: () => Promise<T>): Promise<T> => {
      if (session.inTransaction) return work();
      await run('BEGIN TRANSACTION');
      try {
        const result = await work();
        await run('COMMIT');
        return result;
      } catch (error) {
        await run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    commitBeforeDdl: async (): Promise<void> => {
      if (session.inTransaction) {
        await run('COMMIT');
        session.inTransaction = false;
      }
    },
    tableExists: async (name: QualifiedName, kind: RelationKind = 'TABLE'): Promise<boolean> => {
      if (services.engine.databaseName(name.database) === undefined) return false;
      const where = `database_name = ${quoteString(name.database)} AND schema_name = ${quoteString(name.schema)}`;
      const tables =
        kind === 'VIEW'
          ? []
          : await readAll(`SELECT 1 FROM duckdb_tables() WHERE ${where} AND table_name = ${quoteString(name.name)}`);
      const views =
        kind === 'TABLE'
          ? []
          : await readAll(
              `SELECT 1 FROM duckdb_views() WHERE NOT internal AND ${where} AND view_name = ${quoteString(name.name)}`,
            );
      return tables.length + views.length > 0;
    },
    schemaExists: async (database: string, schema: string): Promise<boolean> => {
      if (services.engine.databaseName(database) === undefined) return false;
      const rows = await readAll(
        `SELECT 1 FROM duckdb_schemas() WHERE database_name = ${quoteString(database)} AND schema_name = ${quoteString(schema)}`,
      );
      return rows.length > 0;
    },
    requireDatabase: (database: string): void => {
      if (services.engine.databaseName(database) === undefined) {
        throw databaseDoesNotExist(database, services.engine.caseCollision(database));
      }
    },
  };
}
