import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { loadStagedFiles, type TargetColumn } from './copy-loader.js';
import type { DuckDbEngine } from './duckdb-engine.js';
import { SnowflakeEmulatorError } from './emulator-error.js';
import type { MetadataStore } from './metadata-store.js';
import { columnEncoding } from './result-encoding.js';
import type { ParameterValue, Session } from './session.js';
import { describeObject, showObjects } from './show-objects.js';
import {
  csvFormatFromOptions,
  DEFAULT_CSV_FORMAT,
  type CsvFileFormat,
  type FileFormatSpec,
  type FormatValue,
} from './sql/file-format.js';
import { DECLARED_TYPE_PREFIX, TABLE_KIND_PREFIX } from './sql/information-schema.js';
import { displayName, duckName, resolveName, type QualifiedName } from './sql/object-name.js';
import { resultTypeOfDeclared, rowType, type RowType, type SnowflakeResultType } from './sql/snowflake-types.js';
import { StatementTypeId, type StageRef, type StatementPlan } from './sql/statement-plan.js';
import { quoteIdent, quoteString } from './sql/syntax-tree.js';
import {
  ensureStageDir,
  fileMd5,
  listStagedFiles,
  namedStageDir,
  plannedUploads,
  removeStagedFiles,
  tableStageDir,
  userStageDir,
  type ResolvedStage,
} from './stage-area.js';

/** What a statement produced. */
export type StatementOutcome =
  | {
      readonly type: 'rows';
      readonly columns: readonly RowType[];
      readonly rows: readonly (readonly (string | null)[])[];
      readonly statementTypeId: number;
    }
  | {
      /** PUT/GET: the driver moves the files itself, told where by this response data. */
      readonly type: 'file-transfer';
      readonly data: Record<string, unknown>;
      readonly statementTypeId: number;
    };

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

const STATUS_COLUMN = [rowType('status', 'text', { nullable: false })];

function status(message: string, statementTypeId: number = StatementTypeId.DDL): StatementOutcome {
  return { type: 'rows', columns: STATUS_COLUMN, rows: [[message]], statementTypeId };
}

function counts(names: readonly string[], values: readonly number[], statementTypeId: number): StatementOutcome {
  return {
    type: 'rows',
    columns: names.map((n) => rowType(n, 'fixed', { precision: 38, scale: 0, nullable: false })),
    rows: [values.map(String)],
    statementTypeId,
  };
}

/** Run a plan for a session. The caller holds the engine's exclusive lock and has applied the session context. */
export async function executePlan(
  session: Session,
  plan: StatementPlan,
  services: ExecutorServices,
): Promise<StatementOutcome> {
  const conn = session.connection;
  const run = async (sql: string): Promise<void> => {
    await conn.run(sql);
  };
  const readAll = async (sql: string): Promise<DuckDBValue[][]> => (await conn.runAndReadAll(sql)).getRows();
  const atomically = async <T>(work: () => Promise<T>): Promise<T> => {
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
  };
  // Snowflake commits an open transaction before any DDL, and runs the DDL in a transaction of its own.
  const commitBeforeDdl = async (): Promise<void> => {
    if (session.inTransaction) {
      await run('COMMIT');
      session.inTransaction = false;
    }
  };
  const tableExists = async (name: QualifiedName, kind: 'TABLE' | 'VIEW' | 'ANY' = 'TABLE'): Promise<boolean> => {
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
  };
  const schemaExists = async (database: string, schema: string): Promise<boolean> => {
    if (services.engine.databaseName(database) === undefined) return false;
    const rows = await readAll(
      `SELECT 1 FROM duckdb_schemas() WHERE database_name = ${quoteString(database)} AND schema_name = ${quoteString(schema)}`,
    );
    return rows.length > 0;
  };
  const requireDatabase = (database: string): void => {
    if (services.engine.databaseName(database) === undefined) {
      const other = services.engine.caseCollision(database);
      throw SnowflakeEmulatorError.sql(
        '002003',
        '02000',
        `SQL compilation error:\nDatabase '${database}' does not exist or not authorized.${other ? ` (The emulator has '${other}'; DuckDB cannot hold two databases whose names differ only in case.)` : ''}`,
      );
    }
  };

  switch (plan.kind) {
    case 'query':
      return runQuery(session, plan.sql, plan.words);

    case 'insert': {
      const inserted = await atomically(async () => {
        if (plan.overwriteTarget) await run(`DELETE FROM ${plan.overwriteTarget}`);
        return Number((await conn.run(plan.sql)).rowsChanged);
      });
      return counts(['number of rows inserted'], [inserted], StatementTypeId.INSERT);
    }

    case 'update': {
      const updated = Number((await conn.run(plan.sql)).rowsChanged);
      return counts(
        ['number of rows updated', 'number of multi-joined rows updated'],
        [updated, 0],
        StatementTypeId.UPDATE,
      );
    }

    case 'delete': {
      const deleted = Number((await conn.run(plan.sql)).rowsChanged);
      return counts(['number of rows deleted'], [deleted], StatementTypeId.DELETE);
    }

    case 'merge': {
      if (plan.duplicateCheckSql && session.parameters.get('ERROR_ON_NONDETERMINISTIC_MERGE') !== false) {
        const duplicates = await readAll(plan.duplicateCheckSql);
        if (duplicates.length > 0) {
          throw SnowflakeEmulatorError.sql(
            '100090',
            '42P18',
            'Duplicate row detected during DML action\nRow Values: (a target row is joined by more than one source row; de-duplicate the source, e.g. QUALIFY ROW_NUMBER() OVER (PARTITION BY key ORDER BY …) = 1)',
          );
        }
      }
      const actions = await readAll(plan.sql);
      const tally = { INSERT: 0, UPDATE: 0, DELETE: 0 } as Record<string, number>;
      for (const row of actions) tally[String(row[0])] = (tally[String(row[0])] ?? 0) + 1;
      const names: string[] = [];
      const values: number[] = [];
      if (plan.clauses.insert) {
        names.push('number of rows inserted');
        values.push(tally.INSERT ?? 0);
      }
      if (plan.clauses.update) {
        names.push('number of rows updated');
        values.push(tally.UPDATE ?? 0);
      }
      if (plan.clauses.delete) {
        names.push('number of rows deleted');
        values.push(tally.DELETE ?? 0);
      }
      return counts(names, values, StatementTypeId.MERGE);
    }

    case 'create-table': {
      await commitBeforeDdl();
      requireDatabase(plan.target.database);
      const exists = await tableExists(plan.target, 'ANY');
      if (exists && plan.ifNotExists) return status(`${plan.target.name} already exists, statement succeeded.`);
      if (exists && !plan.orReplace) {
        throw SnowflakeEmulatorError.sql(
          '002002',
          '42710',
          `SQL compilation error:\nObject '${displayName(plan.target)}' already exists.`,
        );
      }
      await atomically(async () => {
        if (exists && plan.orReplace && (await tableExists(plan.target, 'VIEW'))) {
          throw SnowflakeEmulatorError.sql(
            '002002',
            '42710',
            `SQL compilation error:\nObject '${displayName(plan.target)}' already exists as a VIEW.`,
          );
        }
        for (const step of plan.steps) await run(step);
        for (const d of plan.declared) {
          await run(
            `COMMENT ON COLUMN ${duckName(plan.target)}.${quoteIdent(d.column)} IS ${quoteString(DECLARED_TYPE_PREFIX + d.snowflakeType)}`,
          );
        }
        const kind = plan.temporary ? 'TEMPORARY' : plan.transient ? 'TRANSIENT' : undefined;
        if (kind) await run(`COMMENT ON TABLE ${duckName(plan.target)} IS ${quoteString(TABLE_KIND_PREFIX + kind)}`);
      });
      await services.metadata.forgetLoads(plan.target.database, plan.target.schema, plan.target.name);
      await services.metadata.forgetComments(plan.target.database, plan.target.schema, plan.target.name);
      await services.metadata.changeComments(plan.target, plan.comments);
      if (plan.temporary) session.temporaryTables.push(plan.target);
      return status(`Table ${plan.target.name} successfully created.`);
    }

    case 'create-view': {
      await commitBeforeDdl();
      requireDatabase(plan.target.database);
      if (plan.ifNotExists && (await tableExists(plan.target, 'ANY')))
        return status(`${plan.target.name} already exists, statement succeeded.`);
      await run(plan.sql);
      await services.metadata.forgetComments(plan.target.database, plan.target.schema, plan.target.name);
      return status(`View ${plan.target.name} successfully created.`);
    }

    case 'create-database': {
      await commitBeforeDdl();
      const existing = services.engine.databaseName(plan.name);
      const collision = services.engine.caseCollision(plan.name);
      if (collision)
        throw SnowflakeEmulatorError.unsupported(
          `database '${plan.name}' next to '${collision}' (names differing only in case)`,
        );
      if (existing && plan.ifNotExists) return status(`${plan.name} already exists, statement succeeded.`);
      if (existing && !plan.orReplace)
        throw SnowflakeEmulatorError.sql(
          '002002',
          '42710',
          `SQL compilation error:\nObject '${plan.name}' already exists.`,
        );
      if (existing) await dropDatabase(plan.name, services);
      await services.engine.createDatabase(plan.name);
      session.database = plan.name;
      session.schema = 'PUBLIC';
      return status(`Database ${plan.name} successfully created.`);
    }

    case 'create-schema': {
      await commitBeforeDdl();
      requireDatabase(plan.database);
      const exists = await schemaExists(plan.database, plan.schema);
      if (exists && plan.ifNotExists) return status(`${plan.schema} already exists, statement succeeded.`);
      if (exists && !plan.orReplace)
        throw SnowflakeEmulatorError.sql(
          '002002',
          '42710',
          `SQL compilation error:\nObject '${plan.database}.${plan.schema}' already exists.`,
        );
      const schemaSql = `${quoteIdent(plan.database)}.${quoteIdent(plan.schema)}`;
      await atomically(async () => {
        if (exists) await run(`DROP SCHEMA ${schemaSql} CASCADE`);
        await run(`CREATE SCHEMA ${schemaSql}`);
      });
      if (exists) await services.metadata.dropContainer(plan.database, plan.schema);
      session.database = plan.database;
      session.schema = plan.schema;
      session.resetContext();
      return status(`Schema ${plan.schema} successfully created.`);
    }

    case 'drop':
      await commitBeforeDdl();
      return dropObject(session, plan, services, { run, tableExists, schemaExists });

    case 'truncate': {
      if (!(await tableExists(plan.target))) {
        if (plan.ifExists) return status('Statement executed successfully.');
        throw SnowflakeEmulatorError.sql(
          '002003',
          '42S02',
          `SQL compilation error:\nTable '${displayName(plan.target)}' does not exist or not authorized.`,
        );
      }
      await run(`DELETE FROM ${duckName(plan.target)}`);
      await services.metadata.forgetLoads(plan.target.database, plan.target.schema, plan.target.name);
      return status('Statement executed successfully.');
    }

    case 'alter-table': {
      await commitBeforeDdl();
      if (!(await tableExists(plan.target))) {
        if (plan.ifExists) return status('Statement executed successfully.');
        throw SnowflakeEmulatorError.sql(
          '002003',
          '42S02',
          `SQL compilation error:\nTable '${displayName(plan.target)}' does not exist or not authorized.`,
        );
      }
      const action = plan.action;
      if (action.type === 'steps') {
        await atomically(async () => {
          for (const step of action.steps) await run(step);
          for (const d of action.declared) {
            const comment = resultTypeOfDeclared(d.snowflakeType.replace(/\(.*$/, ''))
              ? quoteString(DECLARED_TYPE_PREFIX + d.snowflakeType)
              : 'NULL';
            await run(`COMMENT ON COLUMN ${duckName(plan.target)}.${quoteIdent(d.column)} IS ${comment}`);
          }
        });
        await services.metadata.changeComments(plan.target, action.comments);
      } else if (action.type === 'rename') {
        if (action.to.database !== plan.target.database || action.to.schema !== plan.target.schema) {
          throw SnowflakeEmulatorError.unsupported('ALTER TABLE … RENAME TO another schema or database');
        }
        await run(`ALTER TABLE ${duckName(plan.target)} RENAME TO ${quoteIdent(action.to.name)}`);
        await services.metadata.renameLoads(plan.target, action.to);
        await services.metadata.renameComments(plan.target, action.to);
      } else if (action.type === 'swap') {
        const other = action.with;
        if (other.database !== plan.target.database || other.schema !== plan.target.schema) {
          throw SnowflakeEmulatorError.unsupported('ALTER TABLE … SWAP WITH a table in another schema or database');
        }
        if (!(await tableExists(other))) {
          throw SnowflakeEmulatorError.sql(
            '002003',
            '42S02',
            `SQL compilation error:\nTable '${displayName(other)}' does not exist or not authorized.`,
          );
        }
        const temp = `${plan.target.name}__sluice_swap_${Date.now()}`;
        await atomically(async () => {
          await run(`ALTER TABLE ${duckName(plan.target)} RENAME TO ${quoteIdent(temp)}`);
          await run(`ALTER TABLE ${duckName(other)} RENAME TO ${quoteIdent(plan.target.name)}`);
          await run(`ALTER TABLE ${duckName({ ...plan.target, name: temp })} RENAME TO ${quoteIdent(other.name)}`);
        });
        const tempName = { ...plan.target, name: temp };
        await services.metadata.renameLoads(plan.target, tempName);
        await services.metadata.renameLoads(other, plan.target);
        await services.metadata.renameLoads(tempName, other);
        await services.metadata.renameComments(plan.target, tempName);
        await services.metadata.renameComments(other, plan.target);
        await services.metadata.renameComments(tempName, other);
      }
      return status('Statement executed successfully.');
    }

    case 'comment': {
      await commitBeforeDdl();
      if (
        !(await tableExists(
          plan.target,
          plan.objectType === 'VIEW' ? 'VIEW' : plan.objectType === 'TABLE' ? 'TABLE' : 'ANY',
        ))
      ) {
        if (plan.ifExists) return status('Statement executed successfully.');
        throw SnowflakeEmulatorError.sql(
          '002003',
          '42S02',
          `SQL compilation error:\n${plan.objectType === 'VIEW' ? 'View' : 'Table'} '${displayName(plan.target)}' does not exist or not authorized.`,
        );
      }
      if (plan.column !== undefined) {
        const found = await readAll(
          `SELECT 1 FROM duckdb_columns() WHERE database_name = ${quoteString(plan.target.database)} AND schema_name = ${quoteString(plan.target.schema)} AND table_name = ${quoteString(plan.target.name)} AND column_name = ${quoteString(plan.column)}`,
        );
        if (found.length === 0)
          throw SnowflakeEmulatorError.sql(
            '000904',
            '42000',
            `SQL compilation error: error line 1 at position 0\ninvalid identifier '${plan.column}'`,
          );
        await services.metadata.changeComments(plan.target, [{ type: 'column', column: plan.column, text: plan.text }]);
      } else {
        await services.metadata.changeComments(plan.target, [{ type: 'table', text: plan.text }]);
      }
      return status('Statement executed successfully.');
    }

    case 'alter-view-rename': {
      await commitBeforeDdl();
      if (!(await tableExists(plan.target, 'VIEW'))) {
        if (plan.ifExists) return status('Statement executed successfully.');
        throw SnowflakeEmulatorError.sql(
          '002003',
          '42S02',
          `SQL compilation error:\nView '${displayName(plan.target)}' does not exist or not authorized.`,
        );
      }
      await run(`ALTER VIEW ${duckName(plan.target)} RENAME TO ${quoteIdent(plan.to.name)}`);
      await services.metadata.renameComments(plan.target, plan.to);
      return status('Statement executed successfully.');
    }

    case 'use':
      return useObject(session, plan, services, schemaExists);

    case 'alter-session': {
      for (const [key, value] of plan.set) session.parameters.set(key, parameterValue(value));
      for (const key of plan.unset) {
        session.parameters.delete(key);
        const fallback = DEFAULT_PARAMETER_VALUES[key];
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
      return status('Statement executed successfully.', StatementTypeId.ALTER_SESSION);
    }

    case 'transaction': {
      if (plan.action === 'begin') {
        if (!session.inTransaction) {
          await run('BEGIN TRANSACTION');
          session.inTransaction = true;
        }
      } else if (session.inTransaction) {
        await run(plan.action === 'commit' ? 'COMMIT' : 'ROLLBACK');
        session.inTransaction = false;
      }
      return status('Statement executed successfully.', StatementTypeId.TCL);
    }

    case 'show':
      return showObjects(session, plan, services, readAll);

    case 'describe':
      return describeObject(session, plan, services, readAll);

    case 'noop':
      if (plan.warehouse !== undefined) services.warehouses.add(plan.warehouse);
      return status(plan.status, plan.statementTypeId);

    case 'wait':
      throw SnowflakeEmulatorError.sql('000603', 'XX000', 'SYSTEM$WAIT must be handled before the executor');

    case 'create-stage': {
      await commitBeforeDdl();
      const name = resolveName(plan.name, session, 'CREATE STAGE');
      requireDatabase(name.database);
      if (!(await schemaExists(name.database, name.schema))) {
        throw SnowflakeEmulatorError.sql(
          '002003',
          '02000',
          `SQL compilation error:\nSchema '${name.database}.${name.schema}' does not exist or not authorized.`,
        );
      }
      const existing = services.metadata.stage(name.database, name.schema, name.name);
      if (existing && plan.ifNotExists) return status(`${name.name} already exists, statement succeeded.`);
      if (existing && !plan.orReplace)
        throw SnowflakeEmulatorError.sql(
          '002002',
          '42710',
          `SQL compilation error:\nObject '${displayName(name)}' already exists.`,
        );
      const dir = namedStageDir(services.dataDir, name.database, name.schema, name.name);
      if (existing) await rm(dir, { recursive: true, force: true });
      await services.metadata.putStage({
        database: name.database,
        schema: name.schema,
        name: name.name,
        temporary: plan.temporary,
        sessionId: plan.temporary ? session.id : undefined,
        fileFormat: plan.fileFormat ? resolveFileFormat(plan.fileFormat, session, services) : undefined,
        createdOn: new Date().toISOString(),
      });
      await ensureStageDir(dir);
      return status(`Stage area ${name.name} successfully created.`);
    }

    case 'create-file-format': {
      await commitBeforeDdl();
      const name = resolveName(plan.name, session, 'CREATE FILE FORMAT');
      requireDatabase(name.database);
      const existing = services.metadata.fileFormat(name.database, name.schema, name.name);
      if (existing && plan.ifNotExists) return status(`${name.name} already exists, statement succeeded.`);
      if (existing && !plan.orReplace)
        throw SnowflakeEmulatorError.sql(
          '002002',
          '42710',
          `SQL compilation error:\nObject '${displayName(name)}' already exists.`,
        );
      await services.metadata.putFileFormat({
        database: name.database,
        schema: name.schema,
        name: name.name,
        format: csvFormatFromOptions(plan.options),
        temporary: plan.temporary,
        sessionId: plan.temporary ? session.id : undefined,
        createdOn: new Date().toISOString(),
      });
      return status(`File format ${name.name} successfully created.`);
    }

    case 'put': {
      const stage = await resolveStage(plan.stage, session, services, tableExists);
      const location = path.join(stage.root, stage.path);
      await mkdir(location, { recursive: true });
      const uploads = plannedUploads(plan.source, plan.autoCompress, plan.sourceCompression);
      services.onUpload(session.id, { directory: location, files: uploads.map((u) => u.target) });
      return {
        type: 'file-transfer',
        statementTypeId: StatementTypeId.PUT,
        data: {
          command: 'UPLOAD',
          src_locations: [plan.source],
          autoCompress: plan.autoCompress,
          sourceCompression: plan.sourceCompression,
          parallel: plan.parallel,
          overwrite: plan.overwrite,
          stageInfo: {
            locationType: 'LOCAL_FS',
            location: location.endsWith(path.sep) ? location : `${location}${path.sep}`,
            path: '',
            region: null,
            storageAccount: null,
            isClientSideEncrypted: false,
            creds: {},
          },
          encryptionMaterial: null,
          presignedUrls: [],
          kind: null,
          operation: 'Node',
        },
      };
    }

    case 'get': {
      const stage = await resolveStage(plan.stage, session, services, tableExists);
      const files = await listStagedFiles(stage, plan.pattern);
      return {
        type: 'file-transfer',
        statementTypeId: StatementTypeId.GET,
        data: {
          command: 'DOWNLOAD',
          src_locations: files.map((f) => f.relativePath),
          localLocation: plan.target,
          parallel: 10,
          stageInfo: {
            locationType: 'LOCAL_FS',
            location: `${stage.root}${path.sep}`,
            path: '',
            region: null,
            storageAccount: null,
            isClientSideEncrypted: false,
            creds: {},
          },
          encryptionMaterial: [],
          presignedUrls: [],
        },
      };
    }

    case 'list': {
      const stage = await resolveStage(plan.stage, session, services, tableExists);
      const files = await listStagedFiles(stage, plan.pattern);
      const rows: string[][] = [];
      for (const f of files)
        rows.push([
          `${stage.displayPrefix}${f.relativePath}`,
          String(f.size),
          await fileMd5(f.absolutePath),
          f.lastModified.toUTCString(),
        ]);
      return {
        type: 'rows',
        columns: [
          rowType('name', 'text', { nullable: false }),
          rowType('size', 'fixed', { nullable: false }),
          rowType('md5', 'text'),
          rowType('last_modified', 'text', { nullable: false }),
        ],
        rows,
        statementTypeId: StatementTypeId.LIST,
      };
    }

    case 'remove': {
      const stage = await resolveStage(plan.stage, session, services, tableExists);
      const files = await listStagedFiles(stage, plan.pattern);
      await removeStagedFiles(files);
      return {
        type: 'rows',
        columns: [rowType('name', 'text', { nullable: false }), rowType('result', 'text', { nullable: false })],
        rows: files.map((f) => [`${stage.displayPrefix}${f.relativePath}`, 'removed']),
        statementTypeId: StatementTypeId.REMOVE,
      };
    }

    case 'copy-into':
      return copyInto(session, plan, services, { run, readAll, atomically, tableExists });
  }
}

const DEFAULT_PARAMETER_VALUES: Record<string, ParameterValue> = {};

/** Give the executor the defaults to restore on ALTER SESSION UNSET. */
export function registerParameterDefaults(defaults: Readonly<Record<string, ParameterValue>>): void {
  Object.assign(DEFAULT_PARAMETER_VALUES, defaults);
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

/** Run a query and encode its result; where a result column is a table column with a declared type, use it. */
async function runQuery(session: Session, sql: string, words: readonly string[]): Promise<StatementOutcome> {
  const result = await session.connection.run(sql);
  const names = result.columnNames();
  const types = result.columnTypes();
  const declared = await declaredTypes(session, names, words);
  const encodings = names.map((name, i) =>
    columnEncoding(name, types[i] as (typeof types)[number], declared.get(name)),
  );
  const rows = (await result.getRows()).map((row) =>
    row.map((value, i) => (encodings[i] as (typeof encodings)[number]).encode(value)),
  );
  return { type: 'rows', columns: encodings.map((e) => e.rowType), rows, statementTypeId: StatementTypeId.SELECT };
}

/**
 * Declared Snowflake types (kept as DuckDB column comments) of result columns that come from a table named in
 * the statement. A column name declared differently by two referenced tables stays undecided.
 */
async function declaredTypes(
  session: Session,
  names: readonly string[],
  words: readonly string[],
): Promise<Map<string, { type: SnowflakeResultType; params: number[] }>> {
  const out = new Map<string, { type: SnowflakeResultType; params: number[] }>();
  const tables = [...new Set(words)];
  if (names.length === 0 || tables.length === 0) return out;
  const rows = (
    await session.connection.runAndReadAll(
      `SELECT column_name, comment FROM duckdb_columns() WHERE comment LIKE '${DECLARED_TYPE_PREFIX}%' AND table_name IN (${tables.map(quoteString).join(', ')}) AND column_name IN (${[...new Set(names)].map(quoteString).join(', ')})`,
    )
  ).getRows();
  const seen = new Map<string, Set<string>>();
  for (const [column, comment] of rows) {
    const set = seen.get(String(column)) ?? new Set<string>();
    set.add(String(comment).slice(DECLARED_TYPE_PREFIX.length));
    seen.set(String(column), set);
  }
  for (const [column, set] of seen) {
    if (set.size !== 1) continue;
    const parsed = resultTypeOfDeclared([...set][0] as string);
    if (parsed) out.set(column, parsed);
  }
  return out;
}

async function dropDatabase(name: string, services: ExecutorServices): Promise<void> {
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

async function dropObject(
  session: Session,
  plan: Extract<StatementPlan, { kind: 'drop' }>,
  services: ExecutorServices,
  helpers: {
    run: (sql: string) => Promise<void>;
    tableExists: (name: QualifiedName, kind?: 'TABLE' | 'VIEW' | 'ANY') => Promise<boolean>;
    schemaExists: (database: string, schema: string) => Promise<boolean>;
  },
): Promise<StatementOutcome> {
  const missing = (what: string, name: string): StatementOutcome => {
    if (plan.ifExists) return status(`Drop statement executed successfully (${name} already dropped).`);
    throw SnowflakeEmulatorError.sql(
      '002003',
      '02000',
      `SQL compilation error:\n${what} '${name}' does not exist or not authorized.`,
    );
  };
  switch (plan.objectType) {
    case 'DATABASE': {
      const name = plan.name[0] as string;
      if (services.engine.databaseName(name) === undefined) return missing('Database', name);
      await dropDatabase(name, services);
      return status(`${name} successfully dropped.`);
    }
    case 'SCHEMA': {
      const parts = plan.name;
      const database = parts.length === 2 ? (parts[0] as string) : session.database;
      const schema = parts[parts.length - 1] as string;
      if (database === null || !(await helpers.schemaExists(database, schema)))
        return missing('Schema', `${database ?? ''}.${schema}`);
      await helpers.run(`DROP SCHEMA ${quoteIdent(database)}.${quoteIdent(schema)} CASCADE`);
      await services.metadata.dropContainer(database, schema);
      for (const s of services.sessions()) {
        if (s.database === database && s.schema === schema) {
          s.schema = null;
          s.resetContext();
        }
      }
      return status(`${schema} successfully dropped.`);
    }
    case 'TABLE':
    case 'VIEW': {
      const name = resolveName(plan.name, session, `DROP ${plan.objectType}`);
      if (!(await helpers.tableExists(name, plan.objectType))) {
        if (plan.objectType === 'TABLE' && (await helpers.tableExists(name, 'VIEW'))) {
          throw SnowflakeEmulatorError.sql(
            '002203',
            '02000',
            `SQL compilation error:\nObject found is of type 'VIEW', not specified type 'TABLE'.`,
          );
        }
        return missing(plan.objectType === 'TABLE' ? 'Table' : 'View', displayName(name));
      }
      await helpers.run(`DROP ${plan.objectType} ${duckName(name)}`);
      await services.metadata.forgetComments(name.database, name.schema, name.name);
      if (plan.objectType === 'TABLE') {
        await services.metadata.forgetLoads(name.database, name.schema, name.name);
        await rm(tableStageDir(services.dataDir, name.database, name.schema, name.name), {
          recursive: true,
          force: true,
        });
      }
      return status(`${name.name} successfully dropped.`);
    }
    case 'STAGE': {
      const name = resolveName(plan.name, session, 'DROP STAGE');
      if (!services.metadata.stage(name.database, name.schema, name.name)) return missing('Stage', displayName(name));
      await services.metadata.deleteStage(name.database, name.schema, name.name);
      await rm(namedStageDir(services.dataDir, name.database, name.schema, name.name), {
        recursive: true,
        force: true,
      });
      return status(`${name.name} successfully dropped.`);
    }
    case 'FILE FORMAT': {
      const name = resolveName(plan.name, session, 'DROP FILE FORMAT');
      if (!services.metadata.fileFormat(name.database, name.schema, name.name))
        return missing('File format', displayName(name));
      await services.metadata.deleteFileFormat(name.database, name.schema, name.name);
      return status(`${name.name} successfully dropped.`);
    }
  }
}

async function useObject(
  session: Session,
  plan: Extract<StatementPlan, { kind: 'use' }>,
  services: ExecutorServices,
  schemaExists: (database: string, schema: string) => Promise<boolean>,
): Promise<StatementOutcome> {
  const notFound = (): SnowflakeEmulatorError =>
    SnowflakeEmulatorError.sql(
      '002043',
      '02000',
      'SQL compilation error:\nObject does not exist, or operation cannot be performed.',
    );
  const useDatabase = async (name: string): Promise<void> => {
    if (services.engine.databaseName(name) === undefined) throw notFound();
    session.database = name;
    session.schema = (await schemaExists(name, 'PUBLIC')) ? 'PUBLIC' : null;
  };
  const useSchema = async (parts: readonly string[]): Promise<void> => {
    const database = parts.length === 2 ? (parts[0] as string) : session.database;
    const schema = parts[parts.length - 1] as string;
    if (database === null || !(await schemaExists(database, schema))) throw notFound();
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
  return status('Statement executed successfully.', StatementTypeId.USE);
}

/** Resolve a stage reference to its directory, checking the stage (or table) exists. */
async function resolveStage(
  ref: StageRef,
  session: Session,
  services: ExecutorServices,
  tableExists: (name: QualifiedName) => Promise<boolean>,
): Promise<ResolvedStage> {
  if (ref.kind === 'user')
    return { root: userStageDir(services.dataDir, session.user), displayPrefix: '', path: ref.path };
  if (ref.kind === 'table') {
    const name = resolveName(ref.name, session, 'stage operation');
    if (!(await tableExists(name))) {
      throw SnowflakeEmulatorError.sql(
        '002003',
        '02000',
        `SQL compilation error:\nTable '${displayName(name)}' does not exist or not authorized.`,
      );
    }
    const root = tableStageDir(services.dataDir, name.database, name.schema, name.name);
    await ensureStageDir(root);
    return { root, displayPrefix: '', path: ref.path };
  }
  const name = resolveName(ref.name, session, 'stage operation');
  const stage = services.metadata.stage(name.database, name.schema, name.name);
  if (!stage) {
    throw SnowflakeEmulatorError.sql(
      '002003',
      '02000',
      `SQL compilation error:\nStage '${displayName(name)}' does not exist or not authorized.`,
    );
  }
  const root = namedStageDir(services.dataDir, name.database, name.schema, name.name);
  await ensureStageDir(root);
  return { root, displayPrefix: `${name.name.toLowerCase()}/`, path: ref.path };
}

function resolveFileFormat(
  spec: FileFormatSpec,
  session: Session,
  services: ExecutorServices,
  base: CsvFileFormat = DEFAULT_CSV_FORMAT,
): CsvFileFormat {
  if (spec.kind === 'inline') return csvFormatFromOptions(spec.options, base);
  const name = resolveName(spec.name, session, 'COPY');
  const found = services.metadata.fileFormat(name.database, name.schema, name.name);
  if (!found)
    throw SnowflakeEmulatorError.sql(
      '002003',
      '02000',
      `SQL compilation error:\nFile format '${displayName(name)}' does not exist or not authorized.`,
    );
  return found.format;
}

async function copyInto(
  session: Session,
  plan: Extract<StatementPlan, { kind: 'copy-into' }>,
  services: ExecutorServices,
  helpers: {
    run: (sql: string) => Promise<void>;
    readAll: (sql: string) => Promise<DuckDBValue[][]>;
    atomically: <T>(work: () => Promise<T>) => Promise<T>;
    tableExists: (name: QualifiedName) => Promise<boolean>;
  },
): Promise<StatementOutcome> {
  const target = plan.target;
  if (!(await helpers.tableExists(target))) {
    throw SnowflakeEmulatorError.sql(
      '002003',
      '42S02',
      `SQL compilation error:\nTable '${displayName(target)}' does not exist or not authorized.`,
    );
  }
  const stage = await resolveStage(plan.stage, session, services, helpers.tableExists);
  let format: CsvFileFormat = DEFAULT_CSV_FORMAT;
  if (plan.fileFormat) format = resolveFileFormat(plan.fileFormat, session, services);
  else if (plan.stage.kind === 'named') {
    const name = resolveName(plan.stage.name, session, 'COPY');
    format = services.metadata.stage(name.database, name.schema, name.name)?.fileFormat ?? DEFAULT_CSV_FORMAT;
  }
  const columnRows = await helpers.readAll(
    `SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() WHERE database_name = ${quoteString(target.database)} AND schema_name = ${quoteString(target.schema)} AND table_name = ${quoteString(target.name)} ORDER BY column_index`,
  );
  const allColumns: TargetColumn[] = columnRows.map(([name, type, nullable, comment]) => ({
    name: String(name),
    duckType: String(type),
    notNull: nullable === false,
    declared:
      typeof comment === 'string' && comment.startsWith(DECLARED_TYPE_PREFIX)
        ? comment.slice(DECLARED_TYPE_PREFIX.length)
        : undefined,
  }));
  const columns = plan.columns
    ? plan.columns.map((c) => {
        const found = allColumns.find((a) => a.name === c);
        if (!found)
          throw SnowflakeEmulatorError.sql(
            '000904',
            '42000',
            `SQL compilation error: error line 1 at position 0\ninvalid identifier '${c}'`,
          );
        return found;
      })
    : allColumns;

  // Which files: the FILES list (relative to the stage path), or every file under the path matching PATTERN.
  const available = await listStagedFiles(stage, plan.pattern);
  let files = available;
  if (plan.files) {
    const base = stage.path === '' || stage.path.endsWith('/') ? stage.path : `${stage.path}/`;
    files = plan.files.map((f) => {
      const wanted = `${base}${f.replace(/^\/+/, '')}`;
      const found = available.find((a) => a.relativePath === wanted) ?? available.find((a) => a.relativePath === f);
      if (!found) {
        throw SnowflakeEmulatorError.sql(
          '091016',
          '22000',
          `Remote file '${stage.displayPrefix}${wanted}' was not found. There are several potential causes. The file might not exist. The required credentials may be missing or invalid. If you are running a copy command, please make sure files are not deleted when they are being loaded or files are not being loaded into two different tables concurrently with auto purge option.`,
        );
      }
      return found;
    });
  }
  // Files already loaded into this table with the same content are skipped (Snowflake's load metadata).
  const toLoad: typeof files = [];
  for (const f of files) {
    const record = services.metadata.loadRecord(target.database, target.schema, target.name, f.relativePath);
    if (!plan.force && record && record.md5 === (await fileMd5(f.absolutePath))) continue;
    toLoad.push(f);
  }
  if (toLoad.length === 0) {
    return {
      type: 'rows',
      columns: STATUS_COLUMN,
      rows: [['Copy executed with 0 files processed.']],
      statementTypeId: StatementTypeId.COPY,
    };
  }
  const results = await helpers.atomically(() =>
    loadStagedFiles({
      connection: session.connection,
      tableSql: duckName(target),
      tableName: target.name,
      columns,
      transform: plan.transform,
      transformWidth: plan.transformWidth,
      files: toLoad,
      displayPrefix: stage.displayPrefix,
      format,
      onError: plan.onError,
    }),
  );
  const loads = new Map(results.flatMap((r) => (r.load ? [[r.load.path, r.load.record] as const] : [])));
  await services.metadata.recordLoads(target.database, target.schema, target.name, loads);
  if (plan.purge) await removeStagedFiles(toLoad.filter((f) => loads.has(f.relativePath)));
  const columnsOut = [
    rowType('file', 'text', { nullable: false }),
    rowType('status', 'text', { nullable: false }),
    rowType('rows_parsed', 'fixed', { nullable: false }),
    rowType('rows_loaded', 'fixed', { nullable: false }),
    rowType('error_limit', 'fixed', { nullable: false }),
    rowType('errors_seen', 'fixed', { nullable: false }),
    rowType('first_error', 'text'),
    rowType('first_error_line', 'fixed'),
    rowType('first_error_character', 'fixed'),
    rowType('first_error_column_name', 'text'),
  ];
  const rows = results.map((r) => [
    r.file,
    r.status,
    String(r.rowsParsed),
    String(r.rowsLoaded),
    String(r.errorLimit),
    String(r.errorsSeen),
    r.firstError,
    r.firstErrorLine === null ? null : String(r.firstErrorLine),
    r.firstErrorCharacter === null ? null : String(r.firstErrorCharacter),
    r.firstErrorColumnName,
  ]);
  return { type: 'rows', columns: columnsOut, rows, statementTypeId: StatementTypeId.COPY };
}
