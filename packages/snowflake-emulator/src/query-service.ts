import { randomUUID } from 'node:crypto';
import type { DuckDbEngine } from './duckdb-engine.js';
import { mapDuckDbError } from './duckdb-errors.js';
import { SnowflakeEmulatorError } from './emulator-error.js';
import type { StatsRecorder } from './emulator-stats.js';
import type { Session } from './session.js';
import type { BindLiteral, TranslationContext } from './sql/expression-translator.js';
import { rowType } from './sql/snowflake-types.js';
import { StatementTypeId, type StatementPlan } from './sql/statement-plan.js';
import {
  bindLiteral,
  planArrayInsert,
  planStatement,
  splitStatements,
  type PlannerContext,
} from './sql/statement-planner.js';
import type { ExecutorServices } from './execution-context.js';
import { executePlan } from './statement-executor.js';
import type { StatementOutcome } from './statement-outcome.js';
import { needsWarehouse } from './warehouse-use.js';

/** The JSON body of a `/queries/v1/query-request` as snowflake-sdk sends it. */
export interface QueryRequestBody {
  readonly sqlText?: string;
  readonly bindings?: Record<string, { type: string; value: string | null | (string | null)[] }>;
  readonly parameters?: Record<string, unknown>;
  readonly asyncExec?: boolean;
  readonly describeOnly?: boolean;
  readonly bindStage?: string;
}

/** A Snowflake JSON response body. */
export type ResponseBody = Record<string, unknown>;

interface QueryRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly requestId: string | undefined;
  readonly sqlText: string;
  status: 'RUNNING' | 'SUCCESS' | 'FAILED_WITH_ERROR' | 'ABORTED';
  response: ResponseBody | undefined;
  done: Promise<void>;
  abort: (() => void) | undefined;
  readonly startedAt: Date;
}

const MAX_KEPT_RESULTS = 1000;

/** The data of an error body, in Snowflake's shape. */
export function errorBody(error: SnowflakeEmulatorError, queryId?: string): ResponseBody {
  return {
    data: {
      internalError: false,
      errorCode: error.snowflakeCode,
      age: 0,
      sqlState: error.sqlState,
      queryId: queryId ?? null,
      line: -1,
      pos: -1,
      type: error.snowflakeCode.startsWith('00') ? 'COMPILATION' : 'EXECUTION',
    },
    code: error.snowflakeCode,
    message: error.message,
    success: false,
    headers: null,
  };
}

/**
 * Runs statements for sessions and keeps their results: answers with the result when it is ready within
 * `resultWaitMs`, or with Snowflake's "in progress" code (333333, or 333334 for asyncExec) and a
 * `getResultUrl` the driver polls. Retried requests (same requestId, `retryCount` > 0) get the first
 * execution's result instead of running again, as Snowflake does.
 */
export class QueryService {
  private readonly queries = new Map<string, QueryRecord>();
  private readonly byRequest = new Map<string, string>();
  private readonly engine: DuckDbEngine;
  private readonly services: ExecutorServices;
  private readonly stats: StatsRecorder;
  private readonly resultWaitMs: number;

  constructor(options: {
    engine: DuckDbEngine;
    services: ExecutorServices;
    stats: StatsRecorder;
    resultWaitMs: number;
  }) {
    this.engine = options.engine;
    this.services = options.services;
    this.stats = options.stats;
    this.resultWaitMs = options.resultWaitMs;
  }

  /** Handle a query request. */
  async submit(
    session: Session,
    body: QueryRequestBody,
    requestId: string | undefined,
    retryCount: number,
  ): Promise<ResponseBody> {
    const key = requestId === undefined ? undefined : `${session.id}:${requestId}`;
    if (key !== undefined && retryCount > 0) {
      const previous = this.byRequest.get(key);
      const record = previous === undefined ? undefined : this.queries.get(previous);
      if (record) return this.respond(record, body.asyncExec === true);
    }
    const id = randomUUID();
    const record: QueryRecord = {
      id,
      sessionId: session.id,
      requestId,
      sqlText: body.sqlText ?? '',
      status: 'RUNNING',
      response: undefined,
      abort: undefined,
      startedAt: new Date(),
      done: Promise.resolve(),
    };
    record.done = this.run(session, body, id, (fn) => {
      record.abort = fn;
    }).then(
      (response) => {
        record.response = response;
        record.status =
          response.success === true ? 'SUCCESS' : record.status === 'ABORTED' ? 'ABORTED' : 'FAILED_WITH_ERROR';
      },
      (error: unknown) => {
        const mapped = error instanceof SnowflakeEmulatorError ? error : mapDuckDbError(error, session);
        record.response = errorBody(mapped, id);
        record.status = 'FAILED_WITH_ERROR';
      },
    );
    this.keep(record, key);
    return this.respond(record, body.asyncExec === true);
  }

  /** GET /queries/{id}/result: the result, or "still running" after waiting `resultWaitMs`. */
  async result(session: Session, queryId: string): Promise<ResponseBody> {
    const record = this.queries.get(queryId);
    if (!record || record.sessionId !== session.id) {
      return errorBody(SnowflakeEmulatorError.sql('000709', '02000', `Statement ${queryId} not found`), queryId);
    }
    return this.respond(record, false);
  }

  /** Abort a running query (by query id, or by the request id it was submitted with). */
  abort(session: Session, target: { queryId?: string; requestId?: string }): boolean {
    let record: QueryRecord | undefined;
    if (target.queryId !== undefined) record = this.queries.get(target.queryId);
    else if (target.requestId !== undefined) {
      const id = this.byRequest.get(`${session.id}:${target.requestId}`);
      record = id === undefined ? undefined : this.queries.get(id);
    }
    if (!record || record.sessionId !== session.id || record.status !== 'RUNNING') return false;
    record.status = 'ABORTED';
    record.abort?.();
    return true;
  }

  /** GET /monitoring/queries/{id}: the status the driver polls for async queries. */
  monitoring(session: Session, queryId: string): ResponseBody {
    const record = this.queries.get(queryId);
    if (!record || record.sessionId !== session.id)
      return { data: { queries: [] }, code: null, message: null, success: true };
    const failed = record.response && record.response.success === false ? record.response : undefined;
    return {
      data: {
        queries: [
          {
            id: record.id,
            status: record.status,
            sqlText: record.sqlText,
            startTime: record.startedAt.getTime(),
            errorCode: failed ? failed.code : undefined,
            errorMessage: failed ? failed.message : undefined,
          },
        ],
      },
      code: failed ? failed.code : null,
      message: null,
      success: true,
    };
  }

  private keep(record: QueryRecord, key: string | undefined): void {
    this.queries.set(record.id, record);
    if (key !== undefined) this.byRequest.set(key, record.id);
    if (this.queries.size > MAX_KEPT_RESULTS) {
      for (const [id, r] of this.queries) {
        if (this.queries.size <= MAX_KEPT_RESULTS) break;
        if (r.status === 'RUNNING') continue;
        this.queries.delete(id);
        if (r.requestId !== undefined) this.byRequest.delete(`${r.sessionId}:${r.requestId}`);
      }
    }
  }

  private async respond(record: QueryRecord, asyncExec: boolean): Promise<ResponseBody> {
    if (!asyncExec && record.response === undefined) {
      await Promise.race([record.done, new Promise((resolve) => setTimeout(resolve, this.resultWaitMs).unref())]);
    }
    if (record.response !== undefined) return record.response;
    const asyncCode = asyncExec ? '333334' : '333333';
    return {
      data: {
        queryId: record.id,
        getResultUrl: `/queries/${record.id}/result`,
        queryAbortsAfterSecs: 300,
        progressDesc: null,
      },
      code: asyncCode,
      message: asyncExec
        ? 'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.'
        : 'Query execution in progress',
      success: true,
    };
  }

  /** Run every statement of the request (one, or several when MULTI_STATEMENT_COUNT allows). */
  private async run(
    session: Session,
    body: QueryRequestBody,
    queryId: string,
    onAbort: (abort: () => void) => void,
  ): Promise<ResponseBody> {
    const sqlText = body.sqlText ?? '';
    const statementTag = typeof body.parameters?.QUERY_TAG === 'string' ? body.parameters.QUERY_TAG : undefined;
    let statements: string[];
    try {
      statements = splitStatements(sqlText);
    } catch (error) {
      return this.failed(session, queryId, sqlText, statementTag, error, false);
    }
    if (statements.length === 0) {
      return errorBody(SnowflakeEmulatorError.sql('900', '42000', 'Empty SQL statement.'), queryId);
    }
    const wanted = Number(
      body.parameters?.MULTI_STATEMENT_COUNT ?? session.parameters.get('MULTI_STATEMENT_COUNT') ?? 1,
    );
    if (statements.length > 1 || wanted > 1) {
      if (wanted !== 0 && wanted !== statements.length) {
        return this.failed(
          session,
          queryId,
          sqlText,
          statementTag,
          SnowflakeEmulatorError.sql(
            '000008',
            '0A000',
            `Actual statement count ${statements.length} did not match the desired statement count ${wanted}.`,
          ),
          false,
        );
      }
      if (statements.length > 1) return this.runMulti(session, body, statements, queryId, statementTag, onAbort);
    }
    return this.runOne(session, body, statements[0] as string, queryId, statementTag, onAbort);
  }

  private async runMulti(
    session: Session,
    body: QueryRequestBody,
    statements: string[],
    queryId: string,
    statementTag: string | undefined,
    onAbort: (abort: () => void) => void,
  ): Promise<ResponseBody> {
    const ids: string[] = [];
    for (const sql of statements) {
      const childId = randomUUID();
      const response = await this.runOne(session, { ...body, sqlText: sql }, sql, childId, statementTag, onAbort);
      const child: QueryRecord = {
        id: childId,
        sessionId: session.id,
        requestId: undefined,
        sqlText: sql,
        status: response.success === true ? 'SUCCESS' : 'FAILED_WITH_ERROR',
        response,
        done: Promise.resolve(),
        abort: undefined,
        startedAt: new Date(),
      };
      this.keep(child, undefined);
      if (response.success !== true) return response;
      ids.push(childId);
    }
    return this.success(
      session,
      queryId,
      {
        type: 'rows',
        columns: [rowType('multiple statement execution', 'text', { nullable: false })],
        rows: [['Multiple statements executed successfully.']],
        statementTypeId: StatementTypeId.SELECT,
      },
      { resultIds: ids.join(','), resultTypes: ids.map(() => String(StatementTypeId.SELECT)).join(',') },
    );
  }

  private bindRows(body: QueryRequestBody): { rows: BindLiteral[][] | undefined; single: BindLiteral[] } {
    const bindings = body.bindings;
    if (!bindings) return { rows: undefined, single: [] };
    const positions = Object.keys(bindings)
      .map(Number)
      .sort((a, b) => a - b);
    const entries = positions.map(
      (p) => bindings[String(p)] as { type: string; value: string | null | (string | null)[] },
    );
    const isArray = entries.some((e) => Array.isArray(e.value));
    if (!isArray) return { rows: undefined, single: entries.map((e) => bindLiteral(e.type, e.value as string | null)) };
    const count = Math.max(...entries.map((e) => (Array.isArray(e.value) ? e.value.length : 1)));
    const rows: BindLiteral[][] = [];
    for (let r = 0; r < count; r++) {
      rows.push(entries.map((e) => bindLiteral(e.type, Array.isArray(e.value) ? (e.value[r] ?? null) : e.value)));
    }
    return { rows, single: rows[0] ?? [] };
  }

  private plannerContext(session: Session, sql: string, binds: readonly BindLiteral[]): PlannerContext {
    const translation: TranslationContext = {
      sql,
      binds,
      bindCursor: 0,
      markers: { next: 0 },
      session: {
        database: session.database,
        schema: session.schema,
        warehouse: session.warehouse,
        role: session.role,
        user: session.user,
        account: session.account,
        sessionId: session.id,
        lastQueryId: session.lastQueryId,
        parameters: session.parameters,
      },
    };
    return { database: session.database, schema: session.schema, translation };
  }

  private async runOne(
    session: Session,
    body: QueryRequestBody,
    sql: string,
    queryId: string,
    statementTag: string | undefined,
    onAbort: (abort: () => void) => void,
  ): Promise<ResponseBody> {
    if (body.bindStage !== undefined) {
      return this.failed(
        session,
        queryId,
        sql,
        statementTag,
        SnowflakeEmulatorError.unsupported('array binding through a stage (bindStage)'),
        false,
      );
    }
    let plan: StatementPlan;
    let plans: StatementPlan[];
    try {
      const { rows, single } = this.bindRows(body);
      plan = planStatement(sql, this.plannerContext(session, sql, single));
      if (rows && rows.length > 1) {
        const batched = planArrayInsert(sql, this.plannerContext(session, sql, single), rows);
        plans = batched ? [batched] : rows.map((row) => planStatement(sql, this.plannerContext(session, sql, row)));
      } else {
        plans = [plan];
      }
    } catch (error) {
      return this.failed(session, queryId, sql, statementTag, error, false);
    }
    if (body.describeOnly === true) {
      // describe only: the result columns without running the statement
      if (plan.kind !== 'query') {
        return this.failed(
          session,
          queryId,
          sql,
          statementTag,
          SnowflakeEmulatorError.unsupported(`describeOnly for a ${plan.kind} statement`),
          false,
        );
      }
      plans = [{ ...plan, sql: `SELECT * FROM (${plan.sql}) AS described LIMIT 0` }];
    }
    const compute = body.describeOnly === true ? false : needsWarehouse(plan);
    try {
      if (session.transactionAborted) await this.guardAbortedTransaction(session, plan);
      if (plan.kind === 'wait') {
        const limit = Number(session.parameters.get('STATEMENT_TIMEOUT_IN_SECONDS') ?? 0);
        if (limit > 0 && plan.seconds > limit) {
          await this.wait(limit, plan.columnName, onAbort);
          throw timeoutError(session);
        }
        const outcome = await this.wait(plan.seconds, plan.columnName, onAbort);
        return this.succeeded(session, queryId, sql, statementTag, compute, outcome);
      }
      let outcome: StatementOutcome | undefined;
      const timeout = statementTimeout(session, () => session.connection.interrupt());
      try {
        for (const p of plans) {
          const next = await this.engine.exclusive(async () => {
            onAbort(() => session.connection.interrupt());
            await session.applyContext();
            await beginImplicitTransaction(session, p);
            try {
              return await executePlan(session, p, this.services);
            } finally {
              onAbort(() => undefined);
            }
          });
          outcome = outcome === undefined ? next : sumCounts(outcome, next);
        }
      } catch (error) {
        if (timeout.expired()) throw timeoutError(session);
        throw error;
      } finally {
        timeout.clear();
      }
      return this.succeeded(session, queryId, sql, statementTag, compute, outcome as StatementOutcome);
    } catch (error) {
      if (session.inTransaction && !(error instanceof SnowflakeEmulatorError && error.code === 'UNSUPPORTED')) {
        await this.markAbortedTransaction(session);
      }
      return this.failed(session, queryId, sql, statementTag, error, compute);
    }
  }

  private async guardAbortedTransaction(session: Session, plan: StatementPlan): Promise<void> {
    const rollback = async (): Promise<void> => {
      await this.engine.exclusive(() => session.connection.run('ROLLBACK')).catch(() => undefined);
      session.inTransaction = false;
      session.transactionAborted = false;
    };
    if (plan.kind === 'transaction' && plan.action === 'rollback') {
      await rollback();
      return;
    }
    if (plan.kind === 'transaction' && plan.action === 'commit') {
      await rollback();
      throw SnowflakeEmulatorError.sql(
        '000603',
        'XX000',
        'The transaction was rolled back, not committed: a statement failed inside it, and the emulator (DuckDB) cannot keep a transaction going after an error the way Snowflake does.',
      );
    }
    throw SnowflakeEmulatorError.sql(
      '000603',
      'XX000',
      'A statement failed inside this transaction; the emulator (DuckDB) cannot continue it the way Snowflake would. Run ROLLBACK and start again.',
    );
  }

  private async markAbortedTransaction(session: Session): Promise<void> {
    try {
      await this.engine.exclusive(() => session.connection.run('SELECT 1'));
    } catch {
      session.transactionAborted = true;
    }
  }

  private wait(seconds: number, columnName: string, onAbort: (abort: () => void) => void): Promise<StatementOutcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          resolve({
            type: 'rows',
            columns: [rowType(columnName, 'text')],
            rows: [[`waited ${Number.isInteger(seconds) ? seconds : seconds.toFixed(3)} seconds`]],
            statementTypeId: StatementTypeId.SELECT,
          });
        },
        Math.max(0, seconds * 1000),
      );
      timer.unref();
      onAbort(() => {
        clearTimeout(timer);
        reject(SnowflakeEmulatorError.sql('000604', '57014', 'SQL execution canceled'));
      });
    });
  }

  private succeeded(
    session: Session,
    queryId: string,
    sql: string,
    statementTag: string | undefined,
    compute: boolean,
    outcome: StatementOutcome,
  ): ResponseBody {
    this.stats.recordStatement({
      queryId,
      sessionId: session.id,
      sqlText: sql.trim(),
      queryTag: statementTag ?? session.queryTag(),
      needsWarehouse: compute,
      status: 'succeeded',
      errorCode: undefined,
      startedAt: new Date(),
    });
    session.lastQueryId = queryId;
    return this.success(session, queryId, outcome);
  }

  private failed(
    session: Session,
    queryId: string,
    sql: string,
    statementTag: string | undefined,
    error: unknown,
    compute: boolean,
  ): ResponseBody {
    const mapped = error instanceof SnowflakeEmulatorError ? error : mapDuckDbError(error, session);
    const interrupted =
      !(error instanceof SnowflakeEmulatorError) && /INTERRUPT/i.test(String((error as Error)?.message ?? error));
    const final = interrupted ? SnowflakeEmulatorError.sql('000604', '57014', 'SQL execution canceled') : mapped;
    this.stats.recordStatement({
      queryId,
      sessionId: session.id,
      sqlText: sql.trim(),
      queryTag: statementTag ?? session.queryTag(),
      needsWarehouse: compute,
      status: 'failed',
      errorCode: final.snowflakeCode,
      startedAt: new Date(),
    });
    return errorBody(final, queryId);
  }

  private success(
    session: Session,
    queryId: string,
    outcome: StatementOutcome,
    extra: Record<string, unknown> = {},
  ): ResponseBody {
    const context = {
      queryId,
      databaseProvider: null,
      finalDatabaseName: session.database,
      finalSchemaName: session.schema,
      finalWarehouseName: session.warehouse,
      finalRoleName: session.role,
      parameters: session.parameterList(),
      statementTypeId: outcome.statementTypeId,
      sendResultTime: Date.now(),
      queryContext: null,
    };
    if (outcome.type === 'file-transfer') {
      return { data: { ...outcome.data, ...context, ...extra }, code: null, message: null, success: true };
    }
    // ROWS_PER_RESULTSET caps the rows a query returns (0: no cap).
    const cap = Number(session.parameters.get('ROWS_PER_RESULTSET') ?? 0);
    const rows = cap > 0 && outcome.rows.length > cap ? outcome.rows.slice(0, cap) : outcome.rows;
    return {
      data: {
        ...context,
        rowtype: outcome.columns,
        rowset: rows,
        total: rows.length,
        returned: rows.length,
        numberOfBinds: 0,
        arrayBindSupported: false,
        version: 1,
        queryResultFormat: 'json',
        ...extra,
      },
      code: null,
      message: null,
      success: true,
    };
  }
}

/** Add up the counts of DML results of an array-bound statement run row by row. */
function sumCounts(a: StatementOutcome, b: StatementOutcome): StatementOutcome {
  if (
    a.type !== 'rows' ||
    b.type !== 'rows' ||
    a.columns.length !== b.columns.length ||
    a.statementTypeId < StatementTypeId.DML ||
    a.statementTypeId >= 0x4000
  )
    return b;
  const row = (a.rows[0] ?? []).map((v, i) => String(Number(v ?? 0) + Number(b.rows[0]?.[i] ?? 0)));
  return { ...a, rows: [row] };
}

/** DML that opens a transaction by itself when AUTOCOMMIT is FALSE (Snowflake: it lasts until COMMIT, ROLLBACK or DDL). */
const IMPLICIT_TRANSACTION_KINDS: ReadonlySet<StatementPlan['kind']> = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'copy-into',
]);

/**
 * With AUTOCOMMIT = FALSE, a DML statement outside a transaction starts one that stays open until COMMIT or
 * ROLLBACK (or a DDL statement, which commits it): what it wrote is invisible to other sessions and lost when the
 * session ends (https://docs.snowflake.com/en/sql-reference/transactions).
 */
async function beginImplicitTransaction(session: Session, plan: StatementPlan): Promise<void> {
  if (session.parameters.get('AUTOCOMMIT') !== false || session.inTransaction) return;
  if (!IMPLICIT_TRANSACTION_KINDS.has(plan.kind)) return;
  await session.connection.run('BEGIN TRANSACTION');
  session.inTransaction = true;
}

/**
 * STATEMENT_TIMEOUT_IN_SECONDS: a statement still running after that long is cancelled (000630). 0 is no limit.
 */
function statementTimeout(session: Session, interrupt: () => void): { expired(): boolean; clear(): void } {
  const seconds = Number(session.parameters.get('STATEMENT_TIMEOUT_IN_SECONDS') ?? 0);
  let expired = false;
  const timer =
    seconds > 0
      ? setTimeout(() => {
          expired = true;
          interrupt();
        }, seconds * 1000)
      : undefined;
  timer?.unref();
  return { expired: () => expired, clear: () => clearTimeout(timer) };
}

function timeoutError(session: Session): SnowflakeEmulatorError {
  const seconds = Number(session.parameters.get('STATEMENT_TIMEOUT_IN_SECONDS') ?? 0);
  return SnowflakeEmulatorError.sql(
    '000630',
    '57014',
    `Statement reached its statement or warehouse timeout of ${seconds} second(s) and was canceled.`,
  );
}
