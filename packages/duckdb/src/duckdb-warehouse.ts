import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance, DuckDBMaterializedResult } from '@duckdb/node-api';
import {
  KeyedMutex,
  STATE_TABLE,
  WarehouseError,
  parseStateRows,
  planEnsureTable,
  qualifiedName,
  quoteIdentifier,
  tableLabel,
  tableSchemaOf,
  type EnsureTableResult,
  type LoadRequest,
  type LoadResult,
  type Relation,
  type RelationState,
  relationStateOf,
  type Row,
  type SqlDialect,
  stateReadStatement,
  stateTableStatement,
  stateWriteStatements,
  type StateReadOptions,
  type StateSnapshot,
  type StateWriteSet,
  type TableSchema,
  type Warehouse,
  type WarehouseCapabilities,
  type WarehouseTable,
} from '@sluice/warehouse';
import { UNREPRESENTABLE_MARKER } from './chunk-decode.js';
import {
  CATALOG_TABLE_SQL,
  catalogRelationSql,
  warehouseTableFromRows,
  type CatalogRelationRow,
  type CatalogTableRow,
} from './duckdb-catalog.js';
import { duckDbDialect } from './duckdb-dialect.js';
import { duckDbTableDialect } from './duckdb-table-dialect.js';
import { keepByteOrderMarks } from './keep-byte-order-marks.js';
import { DEFAULT_MAX_ROW_BYTES, planLoad, type LoadStepRole } from './load-plan.js';
import { duckDbApi } from './duckdb-api.js';
import { rowValue } from './row-value.js';

/** Where the DuckDB warehouse lives and how much of the machine it may use. */
export interface DuckDbWarehouseOptions {
  /** The database file (its directory is created), or `':memory:'` for a warehouse that ends with the process. */
  readonly path: string;
  /** Worker threads for one statement (DuckDB's default: one per core). */
  readonly threads?: number;
  /** DuckDB's memory limit, e.g. `'2GB'` (default: 80% of RAM). Larger work spills to a temp directory. */
  readonly memoryLimit?: string;
  /**
   * The longest row of a chunk file a load accepts, in bytes (default 16 MiB). Each file read in parallel holds a
   * buffer twice this large within the memory limit.
   */
  readonly maxRowBytes?: number;
}

/** Options of `execute` and `query`. */
export interface DuckDbStatementOptions {
  /** Accepted for the contract; DuckDB has no query log to tag. */
  readonly tag?: string;
  /** Aborting interrupts the statement; the call then rejects with `CANCELLED`. */
  readonly signal?: AbortSignal;
  /** Accepted for the contract; DuckDB has one compute resource, the process. */
  readonly compute?: string;
}

const CATALOG_LOCK = '\u0000catalog';

/**
 * Open (or create) a DuckDB warehouse.
 *
 * @example
 * const warehouse = await createDuckDbWarehouse({ path: '.sluice/warehouse.duckdb' });
 * const rows = await warehouse.query('select 42 as answer');
 * await warehouse.close();
 */
export async function createDuckDbWarehouse(options: DuckDbWarehouseOptions): Promise<DuckDbWarehouse> {
  keepByteOrderMarks();
  const inMemory = options.path === ':memory:';
  const config: Record<string, string> = {};
  if (options.threads !== undefined) config.threads = String(options.threads);
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  // An in-memory database would spill into `./.tmp` of whatever directory the process runs in.
  if (inMemory)
    config.temp_directory = path.join(os.tmpdir(), `sluice-duckdb-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    if (!inMemory) await mkdir(path.dirname(path.resolve(options.path)), { recursive: true });
    const instance = await duckDbApi().DuckDBInstance.create(options.path, config);
    // timestamptz → date or text conversions in models must not depend on the machine's time zone.
    const setup = await instance.connect();
    try {
      await setup.run(`SET GLOBAL TimeZone = 'UTC'`);
    } finally {
      setup.closeSync();
    }
    return new DuckDbWarehouse(options.path, instance, options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES);
  } catch (error) {
    const reason = firstLine(error);
    const hint = /lock/i.test(reason)
      ? ' Another process has the database open (a running Sluice or a DuckDB shell): stop it, or use another path.'
      : '';
    throw new WarehouseError(
      'WAREHOUSE_UNAVAILABLE',
      `Could not open the DuckDB warehouse at ${options.path}: ${reason}.${hint}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The embedded default warehouse. One DuckDB instance; every operation (`execute`, `query`, `load`, …) gets a
 * connection of its own, so callers may run many at once: DuckDB runs readers and writers in parallel under MVCC.
 * Loads and schema changes of the same table are serialized here (they would otherwise conflict in DuckDB);
 * schema changes of different tables are serialized too (DuckDB's catalog allows one writer at a time).
 */
export class DuckDbWarehouse implements Warehouse {
  readonly engine = 'duckdb';
  readonly dialect: SqlDialect = duckDbDialect;
  readonly capabilities: WarehouseCapabilities = {
    transactionalDdl: true,
    stagesFiles: false,
    queriesCostCompute: false,
  };
  /** The database file, or `':memory:'`. */
  readonly path: string;
  readonly #instance: DuckDBInstance;
  readonly #connections = new Set<DuckDBConnection>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #locks = new KeyedMutex();
  readonly #maxRowBytes: number;
  /**
   * Tables as `describeRelation` or `ensureTable` last found them, so that the `ensureTable` and `load` that follow
   * need not read the catalog again (a run's incremental load of a table sends no catalog query after its
   * describe). Only this process can change the file (DuckDB locks it), and every path that can change a table's
   * shape here forgets it: `ensureTable` when it alters, `dropTable`, and any SQL run through `execute`,
   * `executeAtomically` or `query`.
   */
  readonly #known = new Map<string, WarehouseTable>();
  /**
   * Connections that only read the catalog or the state table, kept for the next such read: a connect costs 0.3-4 ms
   * beside a run's other work on a small machine. Never one that ran a caller's SQL, a write or a transaction, nor
   * one whose work failed or was cancelled.
   */
  readonly #idle: DuckDBConnection[] = [];
  /** Schemas whose state table this instance has created or found (lower case). */
  readonly #stateTables = new Set<string>();
  #closed = false;

  /** Use {@link createDuckDbWarehouse}. */
  constructor(path: string, instance: DuckDBInstance, maxRowBytes: number) {
    this.path = path;
    this.#instance = instance;
    this.#maxRowBytes = maxRowBytes;
  }

  async execute(
    sql: string,
    options: DuckDbStatementOptions = {},
  ): Promise<{ readonly rowsAffected: number | undefined }> {
    this.#known.clear();
    this.#stateTables.clear();
    return this.#withConnection(options.signal, async (connection) => {
      const result = await this.#runScript(connection, sql, { signal: options.signal });
      const { StatementType } = duckDbApi();
      const counted = [StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE, StatementType.MERGE_INTO];
      return { rowsAffected: counted.includes(result.statementType) ? result.rowsChanged : undefined };
    });
  }

  /** The statements in one transaction on a connection of their own: all take effect, or none. */
  async executeAtomically(
    statements: readonly string[],
    options: DuckDbStatementOptions = {},
  ): Promise<{ readonly rowsAffected: readonly (number | undefined)[] }> {
    this.#known.clear();
    this.#stateTables.clear();
    const { StatementType } = duckDbApi();
    const counted = [StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE, StatementType.MERGE_INTO];
    return this.#withConnection(options.signal, (connection) =>
      this.#transaction(connection, 'the transaction', options.signal, async () => {
        const rowsAffected: (number | undefined)[] = [];
        for (const sql of statements) {
          const result = await this.#runScript(connection, sql, { signal: options.signal });
          rowsAffected.push(counted.includes(result.statementType) ? result.rowsChanged : undefined);
        }
        return { rowsAffected };
      }),
    );
  }

  async query<T extends Row = Row>(sql: string, options: DuckDbStatementOptions = {}): Promise<T[]> {
    this.#known.clear();
    this.#stateTables.clear();
    return this.#withConnection(options.signal, async (connection) => {
      const result = await this.#runScript(connection, sql, { signal: options.signal });
      return this.#rows<T>(result, sql, options.signal);
    });
  }

  async ensureSchema(schema: string): Promise<void> {
    await this.#locks.run(CATALOG_LOCK, () =>
      this.#withConnection(undefined, (connection) =>
        this.#run(connection, `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`, {}),
      ),
    );
  }

  async describeTable(relation: Relation): Promise<TableSchema | undefined> {
    const table = await this.#withConnection(undefined, (connection) => this.#readTable(connection, relation), true);
    return table === undefined ? undefined : tableSchemaOf(table, duckDbTableDialect);
  }

  async describeRelation(relation: Relation): Promise<RelationState | undefined> {
    // Under the table's lock, so that no schema change of this instance is under way while the catalog is read.
    const table = await this.#locks.run(tableKey(relation), () =>
      this.#withConnection(
        undefined,
        async (connection) => {
          const found = await this.#readTable(connection, relation);
          if (found?.kind === 'table') this.#known.set(tableKey(relation), found);
          return found;
        },
        true,
      ),
    );
    return table === undefined ? undefined : relationStateOf(table);
  }

  /**
   * The relation's kind from one catalog scan (a describe needs two: the relation, then its columns). Not under the
   * table's lock, so that it never waits behind a describe of the same table: it reads what is committed.
   */
  async relationKind(relation: Relation): Promise<RelationState['kind'] | undefined> {
    return this.#withConnection(undefined, (connection) => this.#relationKind(connection, relation), true);
  }

  async #relationKind(connection: DuckDBConnection, relation: Relation): Promise<RelationState['kind'] | undefined> {
    const sql = catalogRelationSql(relation);
    try {
      const reader = await connection.runAndReadAll(sql);
      return (reader.getRowObjectsJS() as unknown as CatalogRelationRow[])[0]?.kind;
    } catch (error) {
      throw wrapError(error, sql, tableLabel(relation), undefined);
    }
  }

  /**
   * Create the table, or bring it to the schema. A table this instance read lately (`describeRelation`, or an
   * earlier `ensureTable`) and that needs no change costs no statement; one it does not know is read once (on a kept
   * read connection, outside any transaction) and, when it needs no change, costs nothing more; otherwise the catalog
   * is read again and the changes run in one transaction.
   */
  async ensureTable(table: TableSchema, options: { readonly softDelete?: boolean } = {}): Promise<EnsureTableResult> {
    const key = tableKey(table);
    const settings = { softDelete: options.softDelete ?? false };
    return this.#locks.run(key, async () => {
      const known =
        this.#known.get(key) ??
        (await this.#withConnection(undefined, (connection) => this.#readTable(connection, table), true));
      if (known !== undefined) {
        const plan = planEnsureTable(known, table, settings, duckDbTableDialect);
        if (plan.statements.length === 0) {
          this.#known.set(key, known);
          return plan.result;
        }
      }
      return this.#locks.run(CATALOG_LOCK, () =>
        this.#withConnection(undefined, (connection) =>
          this.#transaction(connection, tableLabel(table), undefined, async () => {
            this.#known.delete(key);
            const existing = await this.#readTable(connection, table);
            const plan = planEnsureTable(existing, table, settings, duckDbTableDialect);
            for (const statement of plan.statements) {
              await this.#run(connection, statement, { table: tableLabel(table) });
            }
            if (existing !== undefined && plan.statements.length === 0) this.#known.set(key, existing);
            return plan.result;
          }),
        ),
      );
    });
  }

  async dropTable(relation: Relation): Promise<void> {
    this.#known.delete(tableKey(relation));
    this.#stateTables.clear();
    await this.#locks.run(tableKey(relation), () =>
      this.#locks.run(CATALOG_LOCK, () =>
        this.#withConnection(undefined, (connection) =>
          this.#run(connection, `DROP TABLE IF EXISTS ${qualifiedName(relation)}`, { table: tableLabel(relation) }),
        ),
      ),
    );
  }

  /**
   * Load chunk files in one transaction (see `planLoad` for the statements): all of the request is visible
   * afterwards, or — on any failure or abort — none of it.
   */
  async load(request: LoadRequest): Promise<LoadResult> {
    const where = tableLabel(request.table);
    // The table's place in line is taken at the call, before anything is awaited: loads into one table run in
    // call order (a file check finishing sooner for a later call must not let it go first).
    return this.#locks.run(tableKey(request.table), async () => {
      await checkFiles(request, where);
      if (request.state) await this.#ensureStateTable(request.state.schema);
      return this.#withConnection(request.signal, (connection) =>
        this.#transaction(connection, where, request.signal, async () => {
          const existing =
            this.#known.get(tableKey(request.table)) ?? (await this.#readTable(connection, request.table));
          if (existing === undefined) {
            throw new WarehouseError(
              'INVALID_LOAD_REQUEST',
              `Load into ${where}: the table does not exist; run ensureTable first.`,
              {
                table: where,
              },
            );
          }
          let statements = 1; // the catalog read (or what ensureTable or describeRelation read)
          let existingRows = 0;
          if (request.mode === 'replace') {
            const counted = await this.#run(connection, `SELECT count(*) AS n FROM ${qualifiedName(request.table)}`, {
              table: where,
              signal: request.signal,
            });
            existingRows = Number((await counted.getRows())[0]?.[0] ?? 0);
            statements += 1;
          }
          const plan = planLoad(request, existing, { maxRowBytes: this.#maxRowBytes, existingRows });
          const counts: Partial<Record<LoadStepRole, number>> = {};
          let changes: { inserted: number; updated: number; deleted: number } | undefined;
          // BEGIN was issued by #transaction, COMMIT is issued by it too; run what lies between.
          for (const step of plan.steps) {
            if (step.role === 'begin' || step.role === 'commit') {
              statements += 1;
              continue;
            }
            if (request.signal?.aborted) throw cancelled(where);
            const result = await this.#run(connection, step.sql, { table: where, signal: request.signal });
            statements += 1;
            if (step.role === 'count-changes') {
              const [row] = await result.getRows();
              changes = {
                inserted: Number(row?.[0] ?? 0),
                updated: Number(row?.[1] ?? 0),
                deleted: Number(row?.[2] ?? 0),
              };
              continue;
            }
            counts[step.role] = (counts[step.role] ?? 0) + (await affectedRows(result));
          }
          // The state rides in the same transaction: the rows and the position that describes them commit together.
          if (request.state) statements += await this.#writeStateIn(connection, request.state, where, request.signal);
          const written = counts.insert ?? 0;
          if (changes) {
            // A replace of a table that held rows: what changed, not every row deleted and written again.
            return {
              rowsStaged: counts.stage ?? written,
              rowsMerged: written,
              ...changes,
              deleted: changes.deleted + (counts['delete-keys'] ?? 0),
              statements,
            };
          }
          // A merge writes the rows it inserts and those it changed (deleted first): unchanged rows are not written.
          const updated = Math.min(counts['delete-matched'] ?? 0, written);
          return {
            rowsStaged: counts.stage ?? written,
            rowsMerged: counts.batch ?? counts.stage ?? written,
            inserted: written - updated,
            updated,
            deleted: (counts.clear ?? 0) + (counts['delete-keys'] ?? 0),
            statements,
          };
        }),
      );
    });
  }

  async readState(schema: string, namespace: string, options: StateReadOptions = {}): Promise<StateSnapshot> {
    const relation = { schema, name: STATE_TABLE };
    return this.#withConnection(
      options.signal,
      async (connection) => {
        // Reading costs nothing here: the table is always read (`options.cached` is for engines where it costs).
        // Whether it is there is asked only until this instance has created or found it (see `#stateTables`).
        const key = schema.toLowerCase();
        if (!this.#stateTables.has(key)) {
          const kind = await this.#relationKind(connection, relation).catch((error: unknown) => {
            throw options.signal?.aborted ? cancelled(tableLabel(relation), error) : error;
          });
          if (kind === undefined) return { entries: [], source: 'missing' };
          if (kind === 'table') this.#stateTables.add(key);
        }
        const sql = stateReadStatement(duckDbDialect, schema, namespace);
        const result = await this.#run(connection, sql, { table: tableLabel(relation), signal: options.signal });
        const rows = await this.#rows(result, sql, options.signal);
        return { entries: parseStateRows(rows, tableLabel(relation)), source: 'warehouse' };
      },
      true,
    );
  }

  async writeState(
    set: StateWriteSet,
    options: { readonly tag?: string; readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    if (set.writes.length === 0) return;
    await this.#ensureStateTable(set.schema);
    const where = tableLabel({ schema: set.schema, name: STATE_TABLE });
    await this.#withConnection(options.signal, (connection) =>
      this.#transaction(connection, where, options.signal, () =>
        this.#writeStateIn(connection, set, where, options.signal),
      ),
    );
  }

  /** Create the state table once per schema (DDL outside the load's transaction, as on every engine). */
  async #ensureStateTable(schema: string): Promise<void> {
    const key = schema.toLowerCase();
    if (this.#stateTables.has(key)) return;
    await this.ensureSchema(schema);
    await this.#locks.run(CATALOG_LOCK, () =>
      this.#withConnection(undefined, (connection) =>
        this.#run(connection, stateTableStatement(duckDbDialect, schema), {
          table: tableLabel({ schema, name: STATE_TABLE }),
        }),
      ),
    );
    this.#stateTables.add(key);
  }

  /** The state writes, on a connection inside its open transaction; the number of statements sent. */
  async #writeStateIn(
    connection: DuckDBConnection,
    set: StateWriteSet,
    where: string,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const statements = stateWriteStatements(duckDbDialect, set);
    if (signal?.aborted) throw cancelled(where);
    // In one call: DuckDB runs a script's statements in order and stops at the first that fails.
    await this.#run(connection, statements.join(';\n'), { table: where, signal });
    return statements.length;
  }

  /**
   * Close the database: statements still running are interrupted (their calls reject), and the file is released
   * once they have rolled back. Later calls fail with `WAREHOUSE_UNAVAILABLE`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Closing a connection while a statement runs on it is not safe in DuckDB: interrupt each, and wait for it to
    // unwind. DuckDB forgets an interrupt that comes before a statement has started on its worker thread (one
    // still queued behind other work), so interrupt again until everything has settled.
    const interruptAll = () => {
      for (const connection of this.#connections) connection.interrupt();
    };
    interruptAll();
    const again = setInterval(interruptAll, INTERRUPT_AGAIN_MS);
    try {
      await Promise.allSettled([...this.#running]);
    } finally {
      clearInterval(again);
    }
    for (const connection of this.#idle.splice(0)) connection.closeSync();
    this.#instance.closeSync();
  }

  async #withConnection<T>(
    signal: AbortSignal | undefined,
    work: (connection: DuckDBConnection) => Promise<T>,
    /** Only reads (see `#idle`): a kept connection may serve, and this one is kept afterwards. */
    reads = false,
  ): Promise<T> {
    if (this.#closed) {
      throw new WarehouseError('WAREHOUSE_UNAVAILABLE', `The DuckDB warehouse at ${this.path} is closed.`);
    }
    if (signal?.aborted) throw cancelled(undefined);
    // Registered before connecting, so `close` waits for this work before closing the database.
    const running = (async () => {
      const connection = (reads ? this.#idle.pop() : undefined) ?? (await this.#instance.connect());
      this.#connections.add(connection);
      let settled = false;
      // DuckDB forgets an interrupt that comes before a statement has started on its worker thread: once aborted,
      // interrupt again until the work has settled (each statement also checks the signal before it starts).
      let again: NodeJS.Timeout | undefined;
      const interrupt = () => {
        connection.interrupt();
        again ??= setInterval(() => connection.interrupt(), INTERRUPT_AGAIN_MS);
      };
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        if (this.#closed)
          throw new WarehouseError('WAREHOUSE_UNAVAILABLE', `The DuckDB warehouse at ${this.path} is closed.`);
        if (signal?.aborted) throw cancelled(undefined);
        const result = await work(connection);
        settled = true;
        return result;
      } finally {
        clearInterval(again);
        signal?.removeEventListener('abort', interrupt);
        this.#connections.delete(connection);
        const keep = reads && settled && !signal?.aborted && !this.#closed && this.#idle.length < MAX_IDLE_READERS;
        if (keep) this.#idle.push(connection);
        else connection.closeSync();
      }
    })();
    this.#running.add(running);
    try {
      return await running;
    } finally {
      this.#running.delete(running);
    }
  }

  async #transaction<T>(
    connection: DuckDBConnection,
    table: string,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    await this.#run(connection, 'BEGIN TRANSACTION', { table, signal });
    let result: T;
    try {
      result = await work();
      await this.#run(connection, 'COMMIT', { table, signal });
    } catch (error) {
      // The connection may be interrupted or aborted; the rollback must still run (or the connection is dropped,
      // which rolls back too).
      await connection.run('ROLLBACK').catch(() => undefined);
      if (signal?.aborted && !(error instanceof WarehouseError && error.code === 'CANCELLED'))
        throw cancelled(table, error);
      throw error;
    }
    return result;
  }

  async #run(
    connection: DuckDBConnection,
    sql: string,
    context: { readonly table?: string; readonly signal?: AbortSignal | undefined },
  ): Promise<DuckDBMaterializedResult> {
    this.#assertOpen(context.table);
    if (context.signal?.aborted) throw cancelled(context.table);
    try {
      return await connection.run(sql);
    } catch (error) {
      this.#assertOpen(context.table, error);
      throw wrapError(error, sql, context.table, context.signal);
    }
  }

  /** Work still under way when `close` is called stops at its next statement (and rolls back). */
  #assertOpen(table: string | undefined, cause?: unknown): void {
    if (!this.#closed) return;
    throw new WarehouseError(
      'WAREHOUSE_UNAVAILABLE',
      `The DuckDB warehouse at ${this.path} was closed${table === undefined ? '' : ` while working on ${table}`}; nothing of that work was committed.`,
      { ...(table === undefined ? {} : { table }), ...(cause === undefined ? {} : { cause }) },
    );
  }

  /** Run one or several `;`-separated statements; the result of the last. */
  async #runScript(
    connection: DuckDBConnection,
    sql: string,
    context: { readonly signal?: AbortSignal | undefined },
  ): Promise<DuckDBMaterializedResult> {
    let extracted;
    try {
      extracted = await connection.extractStatements(sql);
    } catch (error) {
      throw wrapError(error, sql, undefined, context.signal);
    }
    if (extracted.count === 0)
      throw new WarehouseError('WAREHOUSE_STATEMENT_FAILED', 'The SQL text holds no statement.', { sql });
    let last: DuckDBMaterializedResult | undefined;
    for (let index = 0; index < extracted.count; index += 1) {
      this.#assertOpen(undefined);
      if (context.signal?.aborted) throw cancelled(undefined);
      try {
        const prepared = await extracted.prepare(index);
        try {
          last = await prepared.run();
        } finally {
          prepared.destroySync();
        }
      } catch (error) {
        this.#assertOpen(undefined, error);
        throw wrapError(error, sql, undefined, context.signal);
      }
    }
    return last as DuckDBMaterializedResult;
  }

  async #rows<T extends Row>(
    result: DuckDBMaterializedResult,
    sql: string,
    signal: AbortSignal | undefined,
  ): Promise<T[]> {
    try {
      const names = result.deduplicatedColumnNames();
      const rows = await result.getRows();
      return rows.map((values) => {
        const row: Row = {};
        names.forEach((name, i) => {
          row[name] = rowValue(values[i] ?? null);
        });
        return row as T;
      });
    } catch (error) {
      throw wrapError(error, sql, undefined, signal);
    }
  }

  async #readTable(connection: DuckDBConnection, relation: Relation): Promise<WarehouseTable | undefined> {
    try {
      const reader = await connection.runAndReadAll(CATALOG_TABLE_SQL, [relation.schema, relation.name]);
      return warehouseTableFromRows(reader.getRowObjectsJS() as unknown as CatalogTableRow[]);
    } catch (error) {
      throw wrapError(error, CATALOG_TABLE_SQL, tableLabel(relation), undefined);
    }
  }
}

/** Rows a statement wrote; a CREATE TABLE … AS answers with one row holding the count. */
async function affectedRows(result: DuckDBMaterializedResult): Promise<number> {
  if (result.statementType === duckDbApi().StatementType.CREATE) {
    const rows = await result.getRows();
    const first = rows[0]?.[0];
    return typeof first === 'bigint' || typeof first === 'number' ? Number(first) : 0;
  }
  return result.rowsChanged;
}

async function checkFiles(request: LoadRequest, where: string): Promise<void> {
  const files = [...request.files, ...(request.deletes?.files ?? [])];
  await Promise.all(
    files.map(async (file) => {
      if (!path.isAbsolute(file.path)) {
        throw new WarehouseError(
          'INVALID_LOAD_REQUEST',
          `Load into ${where}: chunk file path ${file.path} is not absolute.`,
          {
            table: where,
          },
        );
      }
      const info = await stat(file.path).catch(() => undefined);
      if (!info?.isFile()) {
        throw new WarehouseError(
          'INVALID_LOAD_REQUEST',
          `Load into ${where}: chunk file ${file.path} does not exist or is not a file.`,
          {
            table: where,
          },
        );
      }
    }),
  );
}

function tableKey(relation: Relation): string {
  // DuckDB compares identifiers without case.
  return `${relation.schema.toLowerCase()}\u0000${relation.name.toLowerCase()}`;
}

/** How often an aborted or closing connection is interrupted again, until its work has settled. */
const INTERRUPT_AGAIN_MS = 10;
/** Read-only connections kept between calls (see `#idle`). */
const MAX_IDLE_READERS = 2;

function cancelled(table: string | undefined, cause?: unknown): WarehouseError {
  return new WarehouseError(
    'CANCELLED',
    `${table === undefined ? 'The statement' : `The work on ${table}`} was cancelled; nothing of it was committed.`,
    {
      ...(table === undefined ? {} : { table }),
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function wrapError(
  error: unknown,
  sql: string,
  table: string | undefined,
  signal: AbortSignal | undefined,
): WarehouseError {
  if (error instanceof WarehouseError) return error;
  if (signal?.aborted) return cancelled(table, error);
  const message = error instanceof Error ? error.message : String(error);
  const marker = message.indexOf(UNREPRESENTABLE_MARKER);
  if (marker >= 0) {
    const details = parseDetails(message.slice(marker + UNREPRESENTABLE_MARKER.length));
    if (details) {
      const shown = details.value.length > 80 ? `${details.value.slice(0, 80)}…` : details.value;
      return new WarehouseError(
        'UNREPRESENTABLE_VALUE',
        `${details.table} column "${details.column}": the value ${shown} (in ${details.file}) cannot be stored exactly ` +
          `in DuckDB ${details.type}: ${details.reason}. Nothing was loaded. Fix the value in the source, or load the ` +
          `column as another type.`,
        { table: details.table, column: details.column, sql, cause: error },
      );
    }
  }
  return new WarehouseError(
    'WAREHOUSE_STATEMENT_FAILED',
    `DuckDB statement failed${table === undefined ? '' : ` for ${table}`}: ${conciseMessage(message)}`,
    { ...(table === undefined ? {} : { table }), sql, cause: error },
  );
}

function parseDetails(
  text: string,
): { table: string; column: string; type: string; reason: string; value: string; file: string } | undefined {
  const end = text.lastIndexOf('}');
  try {
    const parsed = JSON.parse(text.slice(0, end + 1)) as Record<string, unknown>;
    const field = (name: string) => (typeof parsed[name] === 'string' ? (parsed[name] as string) : '');
    return {
      table: field('table'),
      column: field('column'),
      type: field('type'),
      reason: field('reason'),
      value: field('value'),
      file: field('file'),
    };
  } catch {
    return undefined;
  }
}

/** DuckDB's CSV errors run to thirty lines of hints; keep what says what and where. */
function conciseMessage(message: string): string {
  const lines = message.split('\n').map((l) => l.trimEnd());
  const kept = lines.filter(
    (l) => (l.length > 0 && !/^\s*(\*|Possible fixes|[a-z_]+ = )/.test(l)) || /^\s*file = /.test(l),
  );
  return kept.slice(0, 6).join(' ').replace(/\s+/g, ' ').trim();
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).replace(/\.$/, '');
}
