import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SnowflakeEmulatorError } from './emulator-error.js';
import { keepByteOrderMarks } from './keep-byte-order-marks.js';
import { SESSION_MACROS, SESSION_SETTINGS } from './sql/duckdb-macros.js';
import { quoteIdent, quoteString } from './sql/syntax-tree.js';

/** The catalog a session without a current database uses: empty, so unqualified names find nothing. */
export const NO_DATABASE_CATALOG = 'sluice_emulator_no_database';

function databaseFile(dir: string, name: string): string {
  return path.join(dir, `${encodeURIComponent(name)}.duckdb`);
}

/**
 * The DuckDB side of the emulator: one in-memory DuckDB instance to which every Snowflake database is attached
 * as its own file (`<dataDir>/databases/<NAME>.duckdb`), so `db.schema.table` resolves the same way in both.
 * Statements from all sessions run one at a time (Snowflake would lock; DuckDB's optimistic concurrency would
 * instead fail concurrent catalog changes).
 */
export class DuckDbEngine {
  private readonly instance: DuckDBInstance;
  private readonly databaseDir: string;
  private readonly databases = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly admin: DuckDBConnection;

  private constructor(instance: DuckDBInstance, admin: DuckDBConnection, databaseDir: string) {
    this.instance = instance;
    this.admin = admin;
    this.databaseDir = databaseDir;
  }

  /** Open the engine over a data directory, attaching the databases already there. */
  static async open(dataDir: string): Promise<DuckDbEngine> {
    const databaseDir = path.join(dataDir, 'databases');
    await mkdir(databaseDir, { recursive: true });
    let instance: DuckDBInstance;
    try {
      keepByteOrderMarks();
      instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    } catch (error) {
      throw new SnowflakeEmulatorError(
        'START_FAILED',
        `Could not start DuckDB for the emulator: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const admin = await instance.connect();
    const engine = new DuckDbEngine(instance, admin, databaseDir);
    await admin.run(`ATTACH ':memory:' AS ${quoteIdent(NO_DATABASE_CATALOG)}`);
    for (const file of await readdir(databaseDir)) {
      if (!file.endsWith('.duckdb')) continue;
      const name = decodeURIComponent(file.slice(0, -'.duckdb'.length));
      try {
        await admin.run(`ATTACH ${quoteString(path.join(databaseDir, file))} AS ${quoteIdent(name)}`);
      } catch (error) {
        throw new SnowflakeEmulatorError(
          'START_FAILED',
          `Could not open the emulator database file ${path.join(databaseDir, file)}: ${(error as Error).message}. Remove it or use another data directory.`,
          { cause: error },
        );
      }
      engine.databases.set(name.toUpperCase(), name);
    }
    return engine;
  }

  /** Run work with exclusive use of DuckDB (one statement at a time across sessions). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A new connection with the Snowflake compatibility macros and settings. */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    for (const statement of [...SESSION_SETTINGS, ...SESSION_MACROS]) await connection.run(statement);
    return connection;
  }

  /** The exact name of an existing database (DuckDB catalog names are case-insensitive), or undefined. */
  databaseName(name: string): string | undefined {
    const found = this.databases.get(name.toUpperCase());
    return found === name ? found : undefined;
  }

  /** Would this name collide with an existing database that differs only in case? */
  caseCollision(name: string): string | undefined {
    const found = this.databases.get(name.toUpperCase());
    return found !== undefined && found !== name ? found : undefined;
  }

  /** Names of all databases. */
  listDatabases(): string[] {
    return [...this.databases.values()].sort();
  }

  /** Create a database: a new DuckDB file attached under the name, with a PUBLIC schema. */
  async createDatabase(name: string): Promise<void> {
    if (name.includes('/') || name === NO_DATABASE_CATALOG) {
      throw SnowflakeEmulatorError.unsupported(`database name '${name}'`);
    }
    const file = databaseFile(this.databaseDir, name);
    await rm(file, { force: true });
    await rm(`${file}.wal`, { force: true });
    await this.admin.run(`ATTACH ${quoteString(file)} AS ${quoteIdent(name)}`);
    await this.admin.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(name)}."PUBLIC"`);
    this.databases.set(name.toUpperCase(), name);
  }

  /** Drop a database: detach it and delete its file. Sessions using it must have moved away (the caller ensures it). */
  async dropDatabase(name: string): Promise<void> {
    await this.admin.run(`DETACH ${quoteIdent(name)}`);
    this.databases.delete(name.toUpperCase());
    const file = databaseFile(this.databaseDir, name);
    await rm(file, { force: true });
    await rm(`${file}.wal`, { force: true });
  }

  /** Close DuckDB (checkpointing the attached files). */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    for (const name of this.databases.values()) {
      try {
        await this.admin.run(`CHECKPOINT ${quoteIdent(name)}`);
      } catch {
        // a database with an open transaction elsewhere cannot checkpoint; closing still persists the WAL
      }
    }
    this.admin.closeSync();
    this.instance.closeSync();
  }
}
