import type { Relation, Row, Warehouse } from '@sluice/warehouse';
import { DataTestError } from './data-test-error.js';
import { evaluateThresholds, type TestSeverity } from './evaluate-thresholds.js';

/** One compiled data test, ready to run: a query for the rows that break a rule, and how to judge the count. */
export interface DataTest {
  /** The test's name, for messages (`not_null_fct_vendas_venda_id`). */
  readonly name: string;
  /** The query for the failing rows, fully compiled (no templating left). No rows = pass. */
  readonly sql: string;
  /** Default `error`. */
  readonly severity?: TestSeverity;
  /** dbt's `warn_if`, default `!=0`. */
  readonly warnIf?: string;
  /** dbt's `error_if`, default `!=0`. */
  readonly errorIf?: string;
  /** dbt's `fail_calc`: the aggregate over the failing rows that gives the number judged, default `count(*)`. */
  readonly failCalc?: string;
  /** Count at most this many failing rows (dbt's `limit`). */
  readonly limit?: number;
  /** dbt's `store_failures`: the failing rows are kept in this table (replaced on every run). */
  readonly storeFailuresIn?: Relation;
  /** dbt's `store_failures_as`: `table` (default) keeps the rows; `view` keeps the failing query as a view. */
  readonly storeFailuresAs?: 'table' | 'view';
}

/** How a data test ended. `fail` = an error-severity threshold was met; `warn` = a warn threshold was met. */
export type DataTestStatus = 'pass' | 'warn' | 'fail' | 'error' | 'cancelled';

export interface DataTestResult {
  readonly status: DataTestStatus;
  /** The number judged against the thresholds (the failing row count, unless `failCalc` says otherwise). */
  readonly failures: number;
  /** Up to `sampleSize` failing rows (empty when there are none, or when the test could not run). */
  readonly samples: readonly Row[];
  /** One line for people: the outcome, the count and the threshold that decided it, or what went wrong. */
  readonly message: string;
  /** Where the failing rows were stored, when `storeFailuresIn` was given and the test ran. */
  readonly storedIn?: Relation;
  /** The warehouse's error, when `status` is `error` or `cancelled`. */
  readonly error?: Error;
}

export interface RunDataTestOptions {
  readonly signal?: AbortSignal;
  /** How many failing rows to return as samples (default 5). */
  readonly sampleSize?: number;
  /** Passed to the warehouse as the query tag. */
  readonly tag?: string;
}

/** The test's query without trailing semicolons, so it can be wrapped in a subquery. */
function bareQuery(sql: string): string {
  return sql.replace(/[\s;]+$/u, '');
}

function plural(n: number): string {
  return `${n} failing row${n === 1 ? '' : 's'}`;
}

/**
 * Run a data test: count the failing rows (one query), fetch up to five of them when there are any (a second
 * query), store them when asked, and judge the count with the thresholds. Never throws: a statement that fails
 * gives status `error` (or `cancelled` when `signal` fired) with the warehouse's message.
 *
 * @example
 * const result = await runDataTest(warehouse, { name: 'not_null_dim_clientes_cliente_id', sql });
 * if (result.status === 'fail') console.log(result.failures, result.samples);
 */
export async function runDataTest(
  warehouse: Warehouse,
  test: DataTest,
  options: RunDataTestOptions = {},
): Promise<DataTestResult> {
  const sampleSize = options.sampleSize ?? 5;
  const statementOptions = {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.tag === undefined ? {} : { tag: options.tag }),
  };
  const severity = test.severity ?? 'error';
  try {
    // Validate the thresholds before spending a query on them.
    evaluateThresholds(0, {
      severity,
      ...(test.warnIf === undefined ? {} : { warnIf: test.warnIf }),
      ...(test.errorIf === undefined ? {} : { errorIf: test.errorIf }),
    });
    let failing = bareQuery(test.sql);
    if (test.limit !== undefined)
      failing = `select * from (\n${failing}\n) as limited\nlimit ${Math.floor(test.limit)}`;
    let source = `(\n${failing}\n) as failing`;
    if (test.storeFailuresIn !== undefined) {
      await warehouse.ensureSchema(test.storeFailuresIn.schema);
      await warehouse.execute(
        test.storeFailuresAs === 'view'
          ? warehouse.dialect.createOrReplaceView(test.storeFailuresIn, failing)
          : warehouse.dialect.createOrReplaceTableAs(test.storeFailuresIn, failing),
        statementOptions,
      );
      source = `${warehouse.dialect.qualify(test.storeFailuresIn)} as failing`;
    }
    const [row] = await warehouse.query(
      `select ${test.failCalc ?? 'count(*)'} as failures\nfrom ${source}`,
      statementOptions,
    );
    const value = row === undefined ? 0 : Number(Object.values(row)[0] ?? 0);
    const failures = Number.isFinite(value) ? value : 0;
    const samples =
      failures > 0 ? await warehouse.query(`select *\nfrom ${source}\nlimit ${sampleSize}`, statementOptions) : [];
    const status = evaluateThresholds(failures, {
      severity,
      ...(test.warnIf === undefined ? {} : { warnIf: test.warnIf }),
      ...(test.errorIf === undefined ? {} : { errorIf: test.errorIf }),
    });
    const stored =
      test.storeFailuresIn === undefined
        ? ''
        : `; failing rows stored in ${test.storeFailuresIn.schema}.${test.storeFailuresIn.name}`;
    const message =
      status === 'pass'
        ? failures === 0
          ? 'pass: no failing rows'
          : `pass: ${plural(failures)}, within warn_if ${test.warnIf ?? '!=0'}${severity === 'error' ? ` and error_if ${test.errorIf ?? '!=0'}` : ''}`
        : status === 'warn'
          ? `warn: ${plural(failures)} (warn_if ${test.warnIf ?? '!=0'}${severity === 'warn' ? ', severity warn' : ''})`
          : `fail: ${plural(failures)} (error_if ${test.errorIf ?? '!=0'})`;
    return {
      status,
      failures,
      samples,
      message: message + stored,
      ...(test.storeFailuresIn === undefined ? {} : { storedIn: test.storeFailuresIn }),
    };
  } catch (cause) {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    const cancelled = options.signal?.aborted === true;
    const what = error instanceof DataTestError ? error.message : `the test query failed: ${error.message}`;
    return {
      status: cancelled ? 'cancelled' : 'error',
      failures: 0,
      samples: [],
      message: cancelled ? 'cancelled: the run was cancelled while this test ran' : `error: ${what}`,
      error,
    };
  }
}
