import type { JsonObject, JsonValue, RunRecord } from '@sluice/watermark';

/** One table of a run, as the status page, the metrics and the alerts read it. */
export interface TableOutcome {
  readonly table: string;
  readonly status: string;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number | undefined;
  readonly error: string | undefined;
}

/** One model of a run (when the run built models). */
export interface ModelOutcome {
  readonly name: string;
  readonly status: string;
  readonly seconds: number | undefined;
  readonly error: string | undefined;
}

/** One data test of a run (when the run ran tests). */
export interface TestOutcome {
  readonly name: string;
  readonly model: string | undefined;
  /** `pass`, `warn`, `fail`, `error`, `cancelled`, `skipped`. */
  readonly status: string;
  /** `error` (the default, as in dbt) or `warn`. */
  readonly severity: string;
  readonly failures: number | undefined;
  readonly message: string | undefined;
  readonly seconds: number | undefined;
}

/** A run record's `detail`, read defensively: fields a run did not write are empty, never an exception. */
export interface RunDetailView {
  readonly tables: readonly TableOutcome[];
  readonly models: readonly ModelOutcome[];
  readonly tests: readonly TestOutcome[];
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

/**
 * Read the `detail` of a run record. The pipeline writes `tables` (and, once models run, `models` and `tests`);
 * this reader accepts the names dbt-like tools use (`name`/`model`/`unique_id`, `seconds`/`execution_time`), so the
 * page keeps working as the record grows.
 */
export function readRunDetail(run: Pick<RunRecord, 'detail'>): RunDetailView {
  const detail = run.detail;
  return {
    tables: list(detail.tables).map((t) => ({
      table: text(t.table) ?? text(t.name) ?? '?',
      status: text(t.status) ?? 'unknown',
      rows: num(t.rows) ?? 0,
      bytes: num(t.bytes) ?? 0,
      seconds: num(t.seconds),
      error: errorText(t.error),
    })),
    models: list(detail.models).map((m) => ({
      name: text(m.name) ?? text(m.model) ?? text(m.unique_id) ?? text(m.id) ?? '?',
      status: text(m.status) ?? 'unknown',
      seconds: num(m.seconds) ?? num(m.execution_time),
      error: errorText(m.error) ?? text(m.message),
    })),
    tests: list(detail.tests).map((t) => ({
      name: text(t.name) ?? text(t.test) ?? text(t.unique_id) ?? text(t.id) ?? '?',
      model: text(t.model) ?? text(t.attached_node),
      status: text(t.status) ?? 'unknown',
      severity: (text(t.severity) ?? 'error').toLowerCase(),
      failures: num(t.failures),
      message: text(t.message) ?? errorText(t.error),
      seconds: num(t.seconds) ?? num(t.execution_time),
    })),
    error: readError(detail.error),
  };
}

/** A test that failed (or could not run) at `error` severity: the kind that pages someone. */
export function isErrorTestFailure(test: TestOutcome): boolean {
  return (test.status === 'fail' || test.status === 'error') && test.severity !== 'warn';
}

/** Any failed test, warnings included (`warn` status, or a failure at `warn` severity). */
export function isFailingTest(test: TestOutcome): boolean {
  return test.status === 'fail' || test.status === 'error' || test.status === 'warn';
}

function list(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value)
    ? value.filter((item): item is JsonObject => typeof item === 'object' && item !== null && !Array.isArray(item))
    : [];
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function num(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function object(value: JsonValue | undefined): JsonObject | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function errorText(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  const error = object(value);
  return error ? (text(error.message) ?? text(error.code)) : undefined;
}

function readError(value: JsonValue | undefined): RunDetailView['error'] {
  if (typeof value === 'string') return { code: 'ERROR', message: value };
  const error = object(value);
  return error ? { code: text(error.code) ?? 'ERROR', message: text(error.message) ?? '' } : undefined;
}
