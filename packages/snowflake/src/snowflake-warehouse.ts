import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  KeyedMutex,
  STATE_TABLE,
  WarehouseError,
  parseStateRows,
  planEnsureTable,
  retryDelayMs,
  stateReadStatement,
  stateTableStatement,
  stateToken,
  stateWriteStatements,
  tableLabel,
  tableSchemaOf,
  validateLoad,
  type EnsureTableResult,
  type LoadRequest,
  type LoadResult,
  type Relation,
  type RelationState,
  relationStateOf,
  type Row,
  type SqlDialect,
  type StatementOptions,
  type TableSchema,
  type Warehouse,
  type RetryPolicy,
  type StateReadOptions,
  type StateSnapshot,
  type StateWriteSet,
  type WarehouseCapabilities,
  type WarehouseTable,
} from '@sluice/warehouse';
import { UNREPRESENTABLE_MARKER } from './chunk-decode.js';
import { EXTRA_FIELD_MARKER, loadPreamble, planLoad, type LoadStepRole } from './load-plan.js';
import { toRows } from './row-value.js';
import {
  authenticatorOf,
  checkConnectionConfig,
  type SnowflakeAuthenticator,
  type SnowflakeConnectionConfig,
} from './snowflake-config.js';
import { snowflakeDialect } from './snowflake-dialect.js';
import {
  qualifySnowflake,
  quoteSnowflakeIdentifier,
  sluiceName,
  snowflakeLiteral,
  snowflakeName,
} from './snowflake-identifier.js';
import {
  classifyFailure,
  SnowflakeSession,
  type FailureKind,
  type SessionEvent,
  type StatementResult,
} from './snowflake-session.js';
import { splitStatements } from './sql-script.js';
import { prepareUploads, removeUploads } from './upload-files.js';
import {
  findShownObject,
  warehouseTableFromShow,
  type ShowColumnRow,
  type ShowObjectRow,
} from './snowflake-catalog.js';
import { snowflakeTableDialect } from './snowflake-table-dialect.js';

/**
 * How failed steps are retried (the one `RetryPolicy` of @sluice/warehouse). Default: 5 attempts, 0.5 s, 1 s, 2 s,
 * 4 s apart, ±20 % (the driver has already retried each HTTP request itself).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, jitter: 0.2 };

/** Everything `createSnowflakeWarehouse` takes: where to connect, and how loads are staged. */
export interface SnowflakeWarehouseOptions extends SnowflakeConnectionConfig {
  /** Where upload files are written while a load runs (default: the OS temp folder). */
  readonly workDir?: string;
  /** Compressed size aimed at per upload file (default 150 MiB; Snowflake advises 100–250 MB). */
  readonly uploadFileBytes?: number;
  /** gzip level of upload files, 1–9 (default 6). */
  readonly compressionLevel?: number;
  /** Upload files compressed at once (default 2). */
  readonly compressionParallelism?: number;
  /**
   * Upload files PUT at once (default 4): one PUT per file, as snowflake-sdk uploads the files of one PUT one after
   * another. Each PUT to a cloud stage first writes an encrypted copy of its file to the OS temp folder (TMPDIR).
   */
  readonly putParallel?: number;
  /** The named stage created in each raw schema (default `sluice_stage`, stored as SLUICE_STAGE). */
  readonly stageName?: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Sees every login, statement and retry (never secrets): for logs and tests. */
  readonly onEvent?: (event: SnowflakeEvent) => void;
  /** snowflake-sdk's log level (global to the process). Default 'OFF': the driver prints nothing. */
  readonly driverLogLevel?: 'OFF' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
  /** The driver's request timeout in ms (default 90 s). */
  readonly timeoutMs?: number;
}

/** What the warehouse reports as it works. */
export type SnowflakeEvent =
  | SessionEvent
  | {
      readonly type: 'retry';
      readonly what: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly failure: FailureKind;
      readonly error: string;
    }
  | { readonly type: 'load-step'; readonly table: string; readonly role: LoadStepRole | 'prepare' | 'clock' }
  | { readonly type: 'cleanup-failed'; readonly table: string; readonly error: string };

/** Counters since the warehouse was opened (what a run costs). */
export interface SnowflakeWarehouseStats {
  /** Statements sent, session setup and retries included. */
  readonly statements: number;
  readonly logins: number;
  /** Steps repeated after a transient failure. */
  readonly retries: number;
  readonly loads: number;
  /** Files PUT to stages, and their (compressed) bytes. */
  readonly filesUploaded: number;
  readonly bytesUploaded: number;
  /** The uncompressed chunk bytes those files held. */
  readonly sourceBytesUploaded: number;
}

/**
 * Open a Snowflake warehouse: checks the config, logs in (password or key pair; snowflake-sdk is loaded now, not
 * at import) and sets the session up. Bad credentials or an unreachable account fail here with
 * `WAREHOUSE_UNAVAILABLE`, with secrets redacted.
 *
 * @example
 * const warehouse = await createSnowflakeWarehouse({
 *   account: 'myorg-myaccount', user: 'SLUICE', role: 'SLUICE_LOADER', warehouse: 'SLUICE_WH', database: 'ANALYTICS',
 *   privateKeyPath: '/etc/sluice/rsa_key.p8', privateKeyPassphrase: process.env.SNOWFLAKE_KEY_PASSPHRASE,
 * });
 */
export async function createSnowflakeWarehouse(options: SnowflakeWarehouseOptions): Promise<SnowflakeWarehouse> {
  const problems = checkConnectionConfig(options);
  if (problems.length > 0) {
    throw new WarehouseError('WAREHOUSE_UNAVAILABLE', `The Snowflake target is not usable: ${problems.join('; ')}.`);
  }
  const warehouse = new SnowflakeWarehouse(options);
  await warehouse.connect();
  return warehouse;
}

const CAPABILITIES: WarehouseCapabilities = { transactionalDdl: false, stagesFiles: true, queriesCostCompute: true };

/**
 * The Snowflake warehouse. One session (statements from parallel work run on it concurrently); loads stage gzip
 * files and apply each table's batch in one statement; every statement carries a QUERY_TAG; transient failures are
 * retried with backoff and a new login, and only where repeating is harmless.
 */
export class SnowflakeWarehouse implements Warehouse {
  readonly engine = 'snowflake';
  readonly dialect: SqlDialect = snowflakeDialect;
  readonly capabilities: WarehouseCapabilities = CAPABILITIES;
  readonly #options: SnowflakeWarehouseOptions;
  readonly #session: SnowflakeSession;
  /** Sessions on other virtual warehouses (a model's `snowflake_warehouse`), by warehouse name. */
  readonly #computeSessions = new Map<string, SnowflakeSession>();
  readonly #retry: RetryPolicy;
  readonly #locks = new KeyedMutex();
  /** Tables as last read or written by this warehouse (a load needs their column types). */
  readonly #tables = new Map<string, WarehouseTable>();
  /** Sessions of their own for transactions (a load's apply with its state write, `executeAtomically`), by virtual
   *  warehouse: a transaction belongs to a session, and the main session runs the statements of parallel work at
   *  once. Idle ones wait here. */
  readonly #transactionSessions = new Map<string, SnowflakeSession[]>();
  readonly #sessions = new Set<SnowflakeSession>();
  /** Schemas whose state table exists (created or found by this instance). */
  readonly #stateTables = new Set<string>();
  /** `schema\0namespace` of state this instance marked as being written (see `readState`). */
  readonly #stateWriting = new Set<string>();
  #closed = false;
  #retiredStatements = 0;
  #retiredLogins = 0;
  #retries = 0;
  #loads = 0;
  #filesUploaded = 0;
  #bytesUploaded = 0;
  #sourceBytesUploaded = 0;

  /** Use {@link createSnowflakeWarehouse}. */
  constructor(options: SnowflakeWarehouseOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#session = this.#newSession(undefined);
  }

  /** Log in (retried like any step). */
  async connect(): Promise<void> {
    await this.#attempt('login', true, undefined, undefined, async () => {
      try {
        await this.#session.connect();
      } catch (error) {
        throw this.#wrap(error, undefined, undefined);
      }
    });
  }

  /** Counters since the warehouse was opened: statements, logins, retries, loads, files and bytes uploaded. */
  stats(): SnowflakeWarehouseStats {
    const sessions = [...this.#sessions];
    return {
      statements: sessions.reduce((sum, session) => sum + session.statements, this.#retiredStatements),
      logins: sessions.reduce((sum, session) => sum + session.logins, this.#retiredLogins),
      retries: this.#retries,
      loads: this.#loads,
      filesUploaded: this.#filesUploaded,
      bytesUploaded: this.#bytesUploaded,
      sourceBytesUploaded: this.#sourceBytesUploaded,
    };
  }

  async execute(sql: string, options: StatementOptions = {}): Promise<{ readonly rowsAffected: number | undefined }> {
    const result = await this.#script(sql, options);
    return { rowsAffected: result.rowsAffected };
  }

  async query<T extends Row = Row>(sql: string, options: StatementOptions = {}): Promise<T[]> {
    const result = await this.#script(sql, options);
    return toRows(result.columns, result.rows) as T[];
  }

  /**
   * DML statements as one transaction, on a session of their own (the main session is shared by concurrent work,
   * and a Snowflake transaction belongs to its session), sent as ONE request: `BEGIN; …; COMMIT`. Repeated only
   * after the session failed before it ran; after a lost answer it fails with `WAREHOUSE_UNAVAILABLE` (it may
   * have committed).
   */
  async executeAtomically(
    statements: readonly string[],
    options: StatementOptions = {},
  ): Promise<{ readonly rowsAffected: readonly (number | undefined)[] }> {
    if (statements.length === 0) return { rowsAffected: [] };
    const tag = options.tag ?? 'sluice';
    return this.#attempt('transaction', false, options.signal, undefined, async () => {
      const results = await this.#inTransaction(statements, tag, options.signal, undefined, undefined, options.compute);
      return { rowsAffected: results.map((r) => r.rowsAffected) };
    });
  }

  async ensureSchema(schema: string): Promise<void> {
    await this.#statement(`CREATE SCHEMA IF NOT EXISTS ${quoteSnowflakeIdentifier(schema)}`, {
      tag: `sluice schema ${schema}`,
      idempotent: true,
    });
  }

  async describeTable(relation: Relation): Promise<TableSchema | undefined> {
    const table = await this.#attempt(`describe ${tableLabel(relation)}`, true, undefined, tableLabel(relation), () =>
      this.#readTable(relation, schemaTag(relation)),
    );
    return table === undefined ? undefined : tableSchemaOf(table, snowflakeTableDialect);
  }

  async describeRelation(relation: Relation): Promise<RelationState | undefined> {
    const table = await this.#attempt(`describe ${tableLabel(relation)}`, true, undefined, tableLabel(relation), () =>
      this.#readTable(relation, schemaTag(relation)),
    );
    return table === undefined ? undefined : relationStateOf(table, sluiceName);
  }

  async ensureTable(table: TableSchema, options: { readonly softDelete?: boolean } = {}): Promise<EnsureTableResult> {
    const where = tableLabel(table);
    const tag = schemaTag(table);
    return this.#locks.run(tableKey(table), () =>
      // Every statement of the plan may run twice (IF NOT EXISTS, SET DATA TYPE, COMMENT): on a transient failure
      // the whole of it is planned again from what the table now is.
      this.#attempt(`ensureTable ${where}`, true, undefined, where, async () => {
        const existing = await this.#readTable(table, tag);
        const plan = planEnsureTable(
          existing,
          table,
          { softDelete: options.softDelete ?? false },
          snowflakeTableDialect,
        );
        for (const statement of plan.statements) await this.#run(statement, tag, undefined, where);
        if (plan.statements.length > 0) {
          this.#tables.delete(tableKey(table));
          await this.#readTable(table, tag);
        }
        return plan.result;
      }),
    );
  }

  async dropTable(relation: Relation): Promise<void> {
    await this.#locks.run(tableKey(relation), async () => {
      this.#tables.delete(tableKey(relation));
      await this.#statement(`DROP TABLE IF EXISTS ${this.dialect.qualify(relation)}`, {
        tag: schemaTag(relation),
        idempotent: true,
        table: tableLabel(relation),
      });
    });
  }

  /**
   * Load chunk files (see `planLoad`): compress them into upload files, create the stage if needed, read the
   * load's instant, PUT, COPY into a fresh transient table, apply in ONE statement (MERGE / INSERT OVERWRITE /
   * guarded INSERT), clean up. Each step is retried as a whole after a transient failure; the apply statement is
   * idempotent, so a repeated step never writes a row twice.
   */
  async load(request: LoadRequest): Promise<LoadResult> {
    const where = tableLabel(request.table);
    const tag = request.tag ?? `sluice load ${where}`;
    return this.#locks.run(tableKey(request.table), async () => {
      const loadId = `${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
      const dir = path.join(this.#options.workDir ?? os.tmpdir(), `sluice-snowflake-${loadId}`);
      let statements = 0;
      const signal = request.signal;
      const step = async (
        what: LoadStepRole | 'prepare' | 'clock',
        sqls: readonly string[],
        concurrency = 1,
      ): Promise<StatementResult[]> => {
        this.#options.onEvent?.({ type: 'load-step', table: where, role: what });
        if (what === 'apply' && stateSql !== undefined) {
          const writes = stateSql;
          stateWritten = true;
          // The apply statement and the state write commit together, in one request on a session of their own.
          return this.#attempt(`${what} ${where}`, true, signal, where, async () => {
            statements += sqls.length + writes.length + 2;
            const results = await this.#inTransaction([...sqls, ...writes], tag, signal, where, request);
            return results.slice(0, sqls.length);
          });
        }
        return this.#attempt(`${what} ${where}`, true, signal, where, async () => {
          const results: StatementResult[] = new Array(sqls.length);
          let next = 0;
          const worker = async (): Promise<void> => {
            for (let i = next++; i < sqls.length; i = next++) {
              statements++;
              results[i] = await this.#run(sqls[i] as string, tag, signal, where, request);
            }
          };
          await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, sqls.length)) }, worker));
          return results;
        });
      };
      /** The state writes of the request, once the state table is ready for them. */
      let stateSql: readonly string[] | undefined;
      let stateWritten = false;
      /** The cleanup statements, once something may have been staged. */
      let staged: readonly string[] | undefined;
      try {
        const table = await this.#attempt(`describe ${where}`, true, signal, where, () =>
          this.#tableFor(request.table, tag, () => statements++),
        );
        if (table === undefined) {
          throw new WarehouseError(
            'INVALID_LOAD_REQUEST',
            `Load into ${where}: the table does not exist; run ensureTable first.`,
            { table: where },
          );
        }
        validateLoad(request, table, snowflakeTableDialect);
        const uploads = await prepareUploads(request.files, request.deletes?.files ?? [], {
          dir,
          table: where,
          targetBytes: this.#options.uploadFileBytes ?? 150 * 1024 * 1024,
          compressionLevel: this.#options.compressionLevel ?? 6,
          parallelism: this.#options.compressionParallelism ?? 2,
          signal,
        });
        const stage = `${quoteSnowflakeIdentifier(request.table.schema)}.${quoteSnowflakeIdentifier(this.#options.stageName ?? 'sluice_stage')}`;
        const tablePath = `${stagePathSegment(request.table.name)}/`;
        let syncedAt = new Date().toISOString().replace('Z', '000+00:00');
        if (uploads.files.length > 0) {
          const preamble = loadPreamble(stage);
          await step('prepare', [preamble.createStage]);
          const [clock] = await step('clock', [preamble.clock]);
          syncedAt = instantOf(clock);
        }
        const plan = planLoad(request, table, uploads.files, {
          stage,
          tablePath,
          loadPath: `${tablePath}${loadId}/`,
          localDir: dir,
          syncedAt,
          parallel: this.#options.putParallel ?? 4,
        });
        if (request.state && request.state.writes.length > 0) {
          await this.#prepareStateWrite(request.state, tag, signal);
          stateSql = stateWriteStatements(snowflakeDialect, request.state);
        }
        const counts: LoadCounts = {
          staged: 0,
          inserted: 0,
          updated: 0,
          deleted: 0,
          before: 0,
          marked: -1,
          merged: -1,
        };
        for (const planned of plan.steps) {
          if (signal?.aborted) throw cancelled(where);
          if (planned.role === 'cleanup') {
            await this.#cleanup(planned.statements, tag, where, () => statements++);
            continue;
          }
          if (planned.role === 'upload' || planned.role === 'stage') {
            staged = plan.steps.find((s) => s.role === 'cleanup')?.statements ?? [];
          }
          // Into an empty table every row is new: nothing to compare.
          if (planned.role === 'count-changes' && counts.before === 0) continue;
          const putParallel = this.#options.putParallel ?? 4;
          const results = await step(planned.role, planned.statements, planned.role === 'upload' ? putParallel : 1);
          if (planned.role === 'upload') {
            checkPut(results, uploads.files.length, where);
            this.#filesUploaded += uploads.files.length;
            this.#bytesUploaded += uploads.bytes;
            this.#sourceBytesUploaded += uploads.sourceBytes;
          } else if (planned.role === 'stage') {
            counts.staged = checkCopies(results.slice(1), uploads.files, where);
          } else if (planned.role === 'count-before') {
            counts.before = firstNumber(results[0]);
          } else if (planned.role === 'count-marked') {
            counts.marked = firstNumber(results[0]);
          } else if (planned.role === 'count-merged') {
            counts.merged = firstNumber(results[0]);
          } else if (planned.role === 'count-changes') {
            counts.changes = dmlCounts(results[0]);
          } else if (planned.role === 'apply') {
            const applied = dmlCounts(results[0]);
            counts.inserted = applied.inserted;
            counts.updated = applied.updated;
            counts.deleted = applied.deleted;
          }
        }
        if (stateSql !== undefined && !stateWritten) {
          // Nothing to apply (no rows): the state is written on its own.
          const writes = stateSql;
          await this.#attempt(`state ${where}`, true, signal, where, async () => {
            statements += writes.length + 2;
            await this.#inTransaction(writes, tag, signal, where, request);
          });
        }
        staged = undefined;
        this.#loads++;
        return { ...loadResult(request, counts, statements), bytesUploaded: uploads.bytes };
      } catch (error) {
        this.#tables.delete(tableKey(request.table));
        if (staged && !signal?.aborted) {
          // Best effort: a failed load leaves no staging table or staged files behind (the next load of the table
          // would replace them anyway).
          await this.#cleanup(staged, tag, where, () => statements++);
        }
        throw this.#wrap(error, where, undefined, request);
      } finally {
        await removeUploads(dir).catch(() => undefined);
      }
    });
  }

  /**
   * The entries of `namespace` in `schema`'s state table. Reading a table resumes a warehouse (a minute's bill), so
   * the table's comment holds a digest of the versions it holds (`stateToken`), replaced by `dirty` before any write
   * starts: when `options.cached` has that digest, it is what the table holds, and the answer comes from metadata
   * alone (SHOW OBJECTS). Otherwise the table is read, and the comment set to the digest of what was read.
   */
  async readState(schema: string, namespace: string, options: StateReadOptions = {}): Promise<StateSnapshot> {
    const relation = { schema, name: STATE_TABLE };
    const where = tableLabel(relation);
    const tag = options.tag ?? `sluice state ${where}`;
    return this.#locks.run(stateLock(schema), async () => {
      const shown = await this.#attempt(`state ${where}`, true, options.signal, where, () =>
        this.#stateComment(schema, tag),
      );
      if (shown === undefined) return { entries: [], source: 'missing' };
      this.#stateTables.add(snowflakeName(schema));
      const tokens = shown.tokens;
      if (options.cached !== undefined && tokens[namespace] === stateToken(options.cached)) {
        return { entries: options.cached, source: 'cache' };
      }
      const sql = stateReadStatement(snowflakeDialect, schema, namespace);
      const result = await this.#statement(sql, { tag, idempotent: true, signal: options.signal, table: where });
      const entries = parseStateRows(toRows(result.columns, result.rows), where);
      const token = stateToken(entries);
      if (tokens[namespace] !== token) {
        await this.#setStateComment(schema, { ...tokens, [namespace]: token }, tag);
      }
      this.#stateWriting.delete(`${snowflakeName(schema)}\u0000${namespace}`);
      return { entries, source: 'warehouse' };
    });
  }

  async writeState(
    set: StateWriteSet,
    options: { readonly tag?: string; readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    if (set.writes.length === 0) return;
    const where = tableLabel({ schema: set.schema, name: STATE_TABLE });
    const tag = options.tag ?? `sluice state ${where}`;
    await this.#prepareStateWrite(set, tag, options.signal);
    const writes = stateWriteStatements(snowflakeDialect, set);
    await this.#attempt(`state ${where}`, true, options.signal, where, () =>
      this.#inTransaction(writes, tag, options.signal, where, undefined),
    );
  }

  /** Log out (every session). Later calls fail with `WAREHOUSE_UNAVAILABLE`. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions].map((session) => session.close()));
  }

  /**
   * Before state is written: the table exists (DDL, so never inside the transaction: it would commit it), and its
   * comment says `dirty` for every namespace written, so that no reader trusts a cached copy until the table has
   * been read again.
   */
  async #prepareStateWrite(set: StateWriteSet, tag: string, signal: AbortSignal | undefined): Promise<void> {
    const where = tableLabel({ schema: set.schema, name: STATE_TABLE });
    const namespaces = [...new Set(set.writes.map((w) => w.namespace))];
    await this.#locks.run(stateLock(set.schema), async () => {
      if (!this.#stateTables.has(snowflakeName(set.schema))) {
        await this.ensureSchema(set.schema);
        await this.#statement(stateTableStatement(snowflakeDialect, set.schema), {
          tag,
          idempotent: true,
          signal,
          table: where,
        });
        this.#stateTables.add(snowflakeName(set.schema));
      }
      const unmarked = namespaces.filter((ns) => !this.#stateWriting.has(`${snowflakeName(set.schema)}\u0000${ns}`));
      if (unmarked.length === 0) return;
      const shown = await this.#attempt(`state ${where}`, true, signal, where, () =>
        this.#stateComment(set.schema, tag),
      );
      const tokens = { ...(shown?.tokens ?? {}) };
      for (const ns of unmarked) tokens[ns] = STATE_WRITING;
      await this.#setStateComment(set.schema, tokens, tag);
      for (const ns of unmarked) this.#stateWriting.add(`${snowflakeName(set.schema)}\u0000${ns}`);
    });
  }

  /** The state table's comment (metadata only), or undefined when the table (or its schema) does not exist. */
  async #stateComment(schema: string, tag: string): Promise<{ tokens: Record<string, string> } | undefined> {
    let objects: ShowObjectRow[];
    try {
      const shown = await this.#run(
        `SHOW OBJECTS LIKE ${snowflakeLiteral(snowflakeName(STATE_TABLE))} IN SCHEMA ${quoteSnowflakeIdentifier(schema)}`,
        tag,
        undefined,
        tableLabel({ schema, name: STATE_TABLE }),
      );
      objects = toRows(shown.columns, shown.rows) as unknown as ShowObjectRow[];
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
    const object = findShownObject(objects, { schema, name: STATE_TABLE });
    if (object === undefined) return undefined;
    return { tokens: parseStateComment(object.comment) };
  }

  async #setStateComment(schema: string, tokens: Record<string, string>, tag: string): Promise<void> {
    const table = qualifySnowflake({ schema, name: STATE_TABLE });
    await this.#statement(`COMMENT ON TABLE ${table} IS ${snowflakeLiteral(stateComment(tokens))}`, {
      tag,
      idempotent: true,
      table: tableLabel({ schema, name: STATE_TABLE }),
    });
  }

  /**
   * Run statements as one transaction — `BEGIN`, the statements, `COMMIT` in ONE request on a session of its own —
   * so they commit together or not at all, even if this process dies after sending them. A session whose request
   * failed is logged out, never reused: its transaction may still be open (ending the session rolls it back), and
   * a ROLLBACK sent alongside a request still running could split it. Returns the statements' results.
   */
  async #inTransaction(
    sqls: readonly string[],
    tag: string,
    signal: AbortSignal | undefined,
    table: string | undefined,
    request: LoadRequest | undefined,
    compute?: string,
  ): Promise<StatementResult[]> {
    if (this.#closed) {
      throw new WarehouseError(
        'WAREHOUSE_UNAVAILABLE',
        `The Snowflake warehouse (account ${this.#options.account}) is closed.`,
      );
    }
    const key = computeKey(compute ?? this.#options.warehouse);
    const idle = this.#transactionSessions.get(key) ?? [];
    this.#transactionSessions.set(key, idle);
    const session = idle.pop() ?? this.#newSession(compute);
    let reusable = false;
    try {
      const results = await session.runMany(['BEGIN TRANSACTION', ...sqls, 'COMMIT'], { tag, signal });
      reusable = true;
      return results.slice(1, 1 + sqls.length);
    } catch (error) {
      throw this.#wrap(error, table, table === undefined ? sqls.join(';\n') : undefined, request);
    } finally {
      if (reusable && !this.#closed) idle.push(session);
      else {
        this.#sessions.delete(session);
        await session.close().catch(() => undefined);
        // Its counters stay in the statistics.
        this.#retiredStatements += session.statements;
        this.#retiredLogins += session.logins;
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ internals

  /** Run a `;`-separated script, one statement at a time; the result of the last. */
  async #script(sql: string, options: StatementOptions): Promise<StatementResult> {
    const statements = splitStatements(sql);
    if (statements.length === 0)
      throw new WarehouseError('WAREHOUSE_STATEMENT_FAILED', 'The SQL text holds no statement.', { sql });
    const session = this.#sessionFor(options.compute);
    let last: StatementResult | undefined;
    for (const statement of statements) {
      // SQL from outside may drop or replace the state table: find it again before the next state write.
      if (/^\s*(DROP|CREATE\s+OR\s+REPLACE|ALTER|UNDROP)\b/i.test(statement)) this.#stateTables.clear();
      last = await this.#statement(statement, {
        tag: options.tag ?? 'sluice',
        idempotent: isRepeatable(statement),
        signal: options.signal,
        session,
      });
    }
    return last as StatementResult;
  }

  /** The session that runs on a virtual warehouse: the main one, or one signed in with that warehouse. */
  #sessionFor(compute: string | undefined): SnowflakeSession {
    if (compute === undefined || computeKey(compute) === computeKey(this.#options.warehouse)) return this.#session;
    const key = computeKey(compute);
    let session = this.#computeSessions.get(key);
    if (session === undefined) {
      session = this.#newSession(compute);
      this.#computeSessions.set(key, session);
    }
    return session;
  }

  /** Another session with this warehouse's sign-in, on `compute` (default: the configured warehouse). */
  #newSession(compute: string | undefined): SnowflakeSession {
    const session = new SnowflakeSession(
      { ...this.#options, warehouse: compute ?? this.#options.warehouse },
      {
        onEvent: this.#options.onEvent,
        driverLogLevel: this.#options.driverLogLevel,
        timeoutMs: this.#options.timeoutMs,
      },
    );
    this.#sessions.add(session);
    return session;
  }

  /** One statement with the retry policy: repeated after any transient failure only when `idempotent`. */
  #statement(
    sql: string,
    options: {
      readonly tag: string;
      readonly idempotent: boolean;
      readonly signal?: AbortSignal | undefined;
      readonly table?: string;
      readonly session?: SnowflakeSession;
    },
  ): Promise<StatementResult> {
    const session = options.session ?? this.#session;
    return this.#attempt(
      firstWords(sql),
      options.idempotent,
      options.signal,
      options.table,
      () => this.#run(sql, options.tag, options.signal, options.table, undefined, session),
      session,
    );
  }

  /** One statement, no retry; driver errors are wrapped (secrets redacted). */
  async #run(
    sql: string,
    tag: string,
    signal: AbortSignal | undefined,
    table: string | undefined,
    request?: LoadRequest,
    session: SnowflakeSession = this.#session,
  ): Promise<StatementResult> {
    try {
      return await session.run(sql, { tag, signal });
    } catch (error) {
      throw this.#wrap(error, table, sql, request);
    }
  }

  /**
   * Run `work`, retrying after failures of the session (always: the statement did not run) and, when `repeatable`,
   * after transient failures (network, 5xx) too, with exponential backoff; a dead session is logged in again.
   */
  async #attempt<T>(
    what: string,
    repeatable: boolean,
    signal: AbortSignal | undefined,
    table: string | undefined,
    work: () => Promise<T>,
    session: SnowflakeSession = this.#session,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw cancelled(table);
      try {
        return await work();
      } catch (error) {
        if (signal?.aborted) throw cancelled(table, error);
        const failure = failureOf(error);
        const retry = failure === 'session' || (failure === 'transient' && repeatable);
        if (!retry || attempt >= this.#retry.attempts) {
          if (
            failure !== 'permanent' &&
            error instanceof WarehouseError &&
            error.code === 'WAREHOUSE_STATEMENT_FAILED'
          ) {
            const ambiguous = failure === 'transient' && !repeatable;
            throw new WarehouseError(
              'WAREHOUSE_UNAVAILABLE',
              ambiguous
                ? `Snowflake did not answer ${what}${table ? ` for ${table}` : ''}; the statement may or may not have run, and it is not one that can safely run twice, so it was not repeated: ${error.message}`
                : `Snowflake could not be reached for ${what}${table ? ` (${table})` : ''} after ${attempt} attempt(s): ${error.message}`,
              { ...(table ? { table } : {}), ...(error.sql ? { sql: error.sql } : {}), cause: error },
            );
          }
          throw error;
        }
        if (failure === 'session') session.reset();
        const delayMs = retryDelayMs(this.#retry, attempt + 1);
        this.#retries++;
        this.#options.onEvent?.({
          type: 'retry',
          what,
          attempt,
          delayMs,
          failure,
          error: error instanceof Error ? error.message : String(error),
        });
        await sleep(delayMs, signal);
      }
    }
  }

  /**
   * Cleanup statements (idempotent: DROP … IF EXISTS, REMOVE), retried like any step; a failure that remains is
   * reported as an event, never thrown — the load has committed, and the next load of the table replaces the
   * staging table and removes the table's stage folder anyway.
   */
  async #cleanup(statements: readonly string[], tag: string, table: string, count: () => void): Promise<void> {
    for (const sql of statements) {
      try {
        await this.#attempt(`cleanup ${table}`, true, undefined, table, () => {
          count();
          return this.#run(sql, tag, undefined, table);
        });
      } catch (error) {
        this.#options.onEvent?.({
          type: 'cleanup-failed',
          table,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** The table for a load: as this warehouse last saw it, else read (two metadata statements). */
  async #tableFor(relation: Relation, tag: string, count: () => void): Promise<WarehouseTable | undefined> {
    const cached = this.#tables.get(tableKey(relation));
    if (cached) return cached;
    count();
    count();
    return this.#readTable(relation, tag);
  }

  /**
   * Read a table from Snowflake's metadata: `SHOW OBJECTS` (kind, table comment) and `SHOW COLUMNS` (types, column
   * comments). Both are answered by the cloud services layer: no warehouse is resumed.
   */
  async #readTable(relation: Relation, tag: string): Promise<WarehouseTable | undefined> {
    const where = tableLabel(relation);
    const schema = quoteSnowflakeIdentifier(relation.schema);
    let objects: ShowObjectRow[];
    try {
      const shown = await this.#run(
        `SHOW OBJECTS LIKE ${snowflakeLiteral(snowflakeName(relation.name))} IN SCHEMA ${schema}`,
        tag,
        undefined,
        where,
      );
      objects = toRows(shown.columns, shown.rows) as unknown as ShowObjectRow[];
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
    const object = findShownObject(objects, relation);
    if (object === undefined) {
      this.#tables.delete(tableKey(relation));
      return undefined;
    }
    const kind = /VIEW/i.test(object.kind) ? 'VIEW' : 'TABLE';
    let columns: ShowColumnRow[];
    try {
      const shown = await this.#run(`SHOW COLUMNS IN ${kind} ${this.dialect.qualify(relation)}`, tag, undefined, where);
      columns = toRows(shown.columns, shown.rows) as unknown as ShowColumnRow[];
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
    const table = warehouseTableFromShow(relation, object, columns);
    this.#tables.set(tableKey(relation), table);
    return table;
  }

  /** Wrap anything thrown while talking to Snowflake into a WarehouseError, secrets redacted. */
  #wrap(error: unknown, table: string | undefined, sql: string | undefined, request?: LoadRequest): WarehouseError {
    if (error instanceof WarehouseError) return error;
    const redact = (text: string) => this.#session.redactor.redact(text);
    const e = error as { code?: unknown; sqlState?: unknown; message?: unknown };
    const message = redact(error instanceof Error ? error.message : String(error));
    const code = e?.code === undefined ? '' : String(e.code);
    const cause = Object.assign(new Error(message), { code: e?.code, sqlState: e?.sqlState });
    const at = table === undefined ? '' : ` for ${table}`;
    const marker = new RegExp(`${UNREPRESENTABLE_MARKER}:(\\d+):([\\s\\S]*?)' is not recognized`).exec(message);
    if (marker && request) {
      const column = request.columns[Number(marker[1])] ?? '?';
      const type = request.table.columns.find((c) => c.name === column)?.type;
      const value = marker[2] ?? '';
      const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
      const why =
        type?.kind === 'decimal'
          ? 'Snowflake NUMBERs hold no NaN or Infinity, and only the digits the column was created with'
          : type?.kind === 'time'
            ? 'Snowflake TIME ends at 23:59:59.999999999'
            : type?.kind === 'json'
              ? 'a VARIANT keeps a number exactly only with at most 38 digits and no exponent (PARSE_JSON stores any other as a DOUBLE)'
              : 'Snowflake documents dates and timestamps from year 1582 to 9999 (accepting some others), none before year 1 and none infinite';
      return new WarehouseError(
        'UNREPRESENTABLE_VALUE',
        `${table ?? tableLabel(request.table)} column "${column}": the value ${shown} cannot be stored exactly in Snowflake: ${why}. ` +
          'Nothing was loaded. Fix or exclude the value in the source, or load the column as text (in sluice.yml, `as: text` for the column, or select it cast to text).',
        { ...(table ? { table } : {}), column, ...(sql ? { sql } : {}), cause },
      );
    }
    const tooLong = TOO_LONG.exec(message);
    if (tooLong && request) {
      const [, file, line, column] = tooLong;
      const name = request.columns.find((c) => snowflakeName(c) === column) ?? column;
      return new WarehouseError(
        'UNREPRESENTABLE_VALUE',
        `${table ?? tableLabel(request.table)} column "${name}": record ${line} of upload file ${path.basename(file ?? '')} holds a value longer than Snowflake stores (text up to 128 MB, binary up to 64 MB: https://docs.snowflake.com/en/sql-reference/data-types-text). Nothing was loaded. Exclude the column or shorten the value in the source.`,
        {
          ...(table ? { table } : {}),
          ...(name === undefined ? {} : { column: name }),
          ...(sql ? { sql } : {}),
          cause,
        },
      );
    }
    const extra = new RegExp(`${EXTRA_FIELD_MARKER}:([^:']*):(\\d+):`).exec(message);
    if (extra) {
      return new WarehouseError(
        'INVALID_LOAD_REQUEST',
        `Load into ${table ?? '?'}: record ${extra[2]} of upload file ${extra[1]} has more fields than the ${request?.columns.length ?? '?'} columns of the request; the chunk files do not match their columns. Nothing was loaded.`,
        { ...(table ? { table } : {}), ...(sql ? { sql } : {}), cause },
      );
    }
    if (
      /^390(100|144|190|101|102|103|303|318)$/.test(code) ||
      /incorrect username or password|JWT token is invalid|invalid OAuth access token|programmatic access token/i.test(
        message,
      )
    ) {
      return new WarehouseError(
        'WAREHOUSE_UNAVAILABLE',
        `Could not sign in to Snowflake account ${this.#options.account} as ${this.#options.user}: ${message} ${signInHint(authenticatorOf(this.#options))}`,
        { cause },
      );
    }
    if (code === '000630') {
      return new WarehouseError(
        'WAREHOUSE_STATEMENT_FAILED',
        `Snowflake cancelled a statement${at} that ran longer than the statement timeout (statement_timeout_seconds, or the warehouse's STATEMENT_TIMEOUT_IN_SECONDS): ${message}`,
        { ...(table ? { table } : {}), ...(sql ? { sql } : {}), cause },
      );
    }
    return new WarehouseError(
      'WAREHOUSE_STATEMENT_FAILED',
      `Snowflake statement failed${at}: ${code ? `${code} ` : ''}${message}`,
      {
        ...(table ? { table } : {}),
        ...(sql ? { sql } : {}),
        cause,
      },
    );
  }
}

/** The kind of failure a (wrapped or raw) error stands for. */
function failureOf(error: unknown): FailureKind {
  if (error instanceof WarehouseError) {
    if (error.code !== 'WAREHOUSE_STATEMENT_FAILED' && error.code !== 'WAREHOUSE_UNAVAILABLE') return 'permanent';
    return error.cause === undefined ? 'permanent' : classifyFailure(error.cause);
  }
  return classifyFailure(error);
}

function isMissingObject(error: unknown): boolean {
  const cause = error instanceof WarehouseError ? error.cause : error;
  return String((cause as { code?: unknown } | undefined)?.code ?? '') === '002003';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function cancelled(table: string | undefined, cause?: unknown): WarehouseError {
  return new WarehouseError(
    'CANCELLED',
    `${table === undefined ? 'The statement' : `The work on ${table}`} was cancelled.`,
    {
      ...(table === undefined ? {} : { table }),
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function tableKey(relation: Relation): string {
  return `${snowflakeName(relation.schema)}\u0000${snowflakeName(relation.name)}`;
}

/** Serializes the state-table bookkeeping (creation, comment) of one schema. */
function stateLock(schema: string): string {
  return `\u0000state\u0000${snowflakeName(schema)}`;
}

/** The comment value of a namespace being written: no cached copy of it is current. */
const STATE_WRITING = 'dirty';
const STATE_COMMENT_PREFIX = 'Sluice state, versions per namespace: ';

/** The state table's comment: per namespace, the digest of the versions it holds (`stateToken`) or `dirty`. */
function stateComment(tokens: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(tokens).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${STATE_COMMENT_PREFIX}${JSON.stringify(sorted)}`;
}

/** The tokens of a state table comment; anything unreadable counts as no token (the table is then read). */
function parseStateComment(comment: string | null): Record<string, string> {
  if (!comment?.startsWith(STATE_COMMENT_PREFIX)) return {};
  try {
    const parsed = JSON.parse(comment.slice(STATE_COMMENT_PREFIX.length)) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch {
    return {};
  }
}

function schemaTag(relation: Relation): string {
  return `sluice schema ${tableLabel(relation)}`;
}

/** A stage folder name for a table: its name where it is plain, else a safe spelling plus a short hash. */
function stagePathSegment(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
  if (safe === name) return name.toLowerCase();
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return `${safe.toLowerCase()}-${hash.toString(16)}`;
}

/** Statements that may run twice with the same outcome: reads, and DDL that says OR REPLACE / IF [NOT] EXISTS. */
export function isRepeatable(sql: string): boolean {
  const text = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '').toUpperCase();
  if (/^(SELECT|WITH|SHOW|DESC|DESCRIBE|LIST|LS|USE|ALTER\s+SESSION|EXPLAIN)\b/.test(text)) return true;
  if (/^CREATE\s+OR\s+REPLACE\b/.test(text)) return true;
  if (/^CREATE\s+(TRANSIENT\s+|TEMPORARY\s+)?(TABLE|VIEW|SCHEMA|STAGE)\s+IF\s+NOT\s+EXISTS\b/.test(text)) return true;
  if (/^DROP\s+(TABLE|VIEW|SCHEMA|STAGE)\s+IF\s+EXISTS\b/.test(text)) return true;
  return false;
}

function firstWords(sql: string): string {
  return sql.trim().split(/\s+/).slice(0, 3).join(' ');
}

/** The instant of `SELECT CURRENT_TIMESTAMP()` as ISO 8601 with microseconds, in UTC. */
function instantOf(result: StatementResult | undefined): string {
  const value = toRows(result?.columns ?? [], result?.rows ?? [])[0]?.now;
  const match = typeof value === 'string' ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{6})\+00$/.exec(value) : null;
  if (!match)
    throw new WarehouseError(
      'WAREHOUSE_STATEMENT_FAILED',
      `Snowflake answered CURRENT_TIMESTAMP() with ${String(value)}, not an instant.`,
    );
  return `${match[1]}T${match[2]}+00:00`;
}

function firstNumber(result: StatementResult | undefined): number {
  const value = result?.rows[0]?.[0];
  return value === null || value === undefined ? 0 : Number(value);
}

/** The counts a DML statement reports (`number of rows inserted`, `… updated`, `… deleted`). */
function dmlCounts(result: StatementResult | undefined): { inserted: number; updated: number; deleted: number } {
  const counts = { inserted: 0, updated: 0, deleted: 0 };
  if (!result) return counts;
  result.columns.forEach((column, i) => {
    const value = Number(result.rows[0]?.[i] ?? 0);
    if (/inserted/i.test(column.name)) counts.inserted += value;
    else if (/multi-joined/i.test(column.name)) return;
    else if (/updated/i.test(column.name)) counts.updated += value;
    else if (/deleted/i.test(column.name)) counts.deleted += value;
  });
  return counts;
}

/** Every file of the PUTs must be UPLOADED (or SKIPPED: already there, same content). */
function checkPut(results: readonly StatementResult[], expected: number, table: string): void {
  const rows = results.flatMap((result) => toRows(result.columns, result.rows));
  const bad = rows.filter((r) => !['UPLOADED', 'SKIPPED'].includes(String(r.status)));
  if (rows.length !== expected || bad.length > 0) {
    throw new WarehouseError(
      'WAREHOUSE_STATEMENT_FAILED',
      `PUT of ${expected} file(s) for ${table} did not upload them all: ${rows.map((r) => `${String(r.source)} ${String(r.status)}${r.message ? ` (${String(r.message)})` : ''}`).join(', ') || 'no files reported'}.`,
      { table },
    );
  }
}

/** COPY must have loaded every file, each with exactly its records; returns the data rows staged. */
function checkCopies(
  results: readonly StatementResult[],
  files: readonly { name: string; kind: string; rows: number }[],
  table: string,
): number {
  const loaded = new Map<string, number>();
  for (const result of results) {
    for (const row of toRows(result.columns, result.rows)) {
      const name =
        String(row.file ?? '')
          .split('/')
          .pop() ?? '';
      if (String(row.status) !== 'LOADED') {
        throw new WarehouseError(
          'WAREHOUSE_STATEMENT_FAILED',
          `COPY into the staging table of ${table}: file ${name} was ${String(row.status)}: ${String(row.first_error ?? '')}`,
          { table },
        );
      }
      loaded.set(name, Number(row.rows_loaded ?? 0));
    }
  }
  let staged = 0;
  for (const file of files) {
    const rows = loaded.get(file.name);
    if (rows === undefined) {
      throw new WarehouseError(
        'WAREHOUSE_STATEMENT_FAILED',
        `COPY into the staging table of ${table} did not load ${file.name}.`,
        { table },
      );
    }
    if (rows !== file.rows) {
      throw new WarehouseError(
        'INVALID_LOAD_REQUEST',
        `Load into ${table}: upload file ${file.name} held ${rows} record(s) where its chunk files declare ${file.rows}; a chunk file does not match its row count. Nothing was loaded.`,
        { table },
      );
    }
    if (file.kind === 'data') staged += rows;
  }
  return staged;
}

/** What the statements of a load reported. */
interface LoadCounts {
  staged: number;
  inserted: number;
  updated: number;
  deleted: number;
  before: number;
  marked: number;
  /** Keys in a merge's batch (`count-merged`), or -1 when not counted (distinct keys: every staged row is one). */
  merged: number;
  /** `replace` of a keyed table that held rows: what changed (see the `count-changes` step). */
  changes?: { readonly inserted: number; readonly updated: number; readonly deleted: number };
}

function loadResult(request: LoadRequest, counts: LoadCounts, statements: number): LoadResult {
  if (request.mode === 'replace') {
    return {
      rowsStaged: counts.staged,
      rowsMerged: counts.inserted,
      ...(counts.changes ?? { inserted: counts.inserted, updated: 0, deleted: counts.before + counts.deleted }),
      statements,
    };
  }
  if (request.mode === 'append') {
    return {
      rowsStaged: counts.staged,
      rowsMerged: counts.inserted,
      inserted: counts.inserted,
      updated: 0,
      deleted: 0,
      statements,
    };
  }
  const mark = request.deletes?.mode === 'mark' && (request.deletes.files.length ?? 0) > 0;
  const hasData = counts.staged > 0;
  let { updated, deleted } = counts;
  if (mark) {
    // MERGE counts marks among the updates; with no data rows every update is a mark.
    const marked = counts.marked >= 0 ? counts.marked : hasData ? 0 : counts.updated;
    deleted = marked;
    updated = Math.max(0, counts.updated - marked);
  }
  return {
    rowsStaged: counts.staged,
    rowsMerged: counts.merged >= 0 ? counts.merged : counts.staged,
    inserted: counts.inserted,
    updated,
    deleted,
    statements,
  };
}

/** What to check after a refused sign-in, for the authenticator used. */
function signInHint(authenticator: SnowflakeAuthenticator | undefined): string {
  switch (authenticator) {
    case 'snowflake':
      return (
        'Check the user and the password (from the environment). A user created with TYPE = SERVICE cannot sign in ' +
        'with a password at all (https://docs.snowflake.com/en/user-guide/admin-user-management): give it a key pair ' +
        '(private_key_path), an OAuth token or a programmatic access token instead.'
      );
    case 'snowflake_jwt':
      return "Check the user, the key (from the environment) and that the key's public half is set on the user (ALTER USER … SET RSA_PUBLIC_KEY).";
    case 'oauth':
      return 'Check that the OAuth access token (token or token_path) is current and was issued for this user and role.';
    case 'programmatic_access_token':
      return 'Check that the programmatic access token (token or token_path) is current and belongs to this user; a service user may also need a network policy that admits this host.';
    case 'externalbrowser':
      return 'Browser sign-in is for people (TYPE = PERSON): a service user cannot use SSO.';
    default:
      return 'Check the credentials.';
  }
}

/** A virtual warehouse's name as Snowflake stores it, for telling sessions apart. */
function computeKey(warehouse: string): string {
  return snowflakeName(warehouse);
}

/**
 * COPY's refusal of a value longer than its column (`User character length limit (…) exceeded by string '…' File
 * '…', line 3, character 1 Row 3, column "T"["C":2]`): the file, the record and the column.
 */
const TOO_LONG =
  /length limit \(\d+\) exceeded[\s\S]*?File '([^']*)', line (\d+)[\s\S]*?column "[^"]*"\["([^"]+)":\d+\]/;
