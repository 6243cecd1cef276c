import type { NodeResult, NodeStatus, RunnableKind, RunTestsMode } from '@sluice/models';
import type { JsonObject, RunRecord, RunStatus } from '@sluice/watermark';
import { z } from 'zod';
import type { BuildResult } from './build-models.js';
import type { IngestResult, TableResult } from './ingest.js';

/**
 * The shape of a run record's `detail` that this version writes. Readers migrate older shapes (see
 * `parseRunDetail`). Adding an optional field or a status value keeps the version (older records still parse, and
 * readers drop fields they do not know); changing what a field means bumps it and adds a migration step.
 */
export const RUN_RECORD_VERSION = 1;

/** The steps of a run, in the order they run. */
export const PIPELINE_STEPS = ['ingest', 'build'] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** How a table ended in a run (`TableResult['status']`). */
export const TABLE_OUTCOME_STATUSES = ['success', 'unchanged', 'failed', 'cancelled', 'skipped'] as const;

/** How a model, snapshot or test ended in a run (the model runner's `NodeStatus`). */
export const NODE_OUTCOME_STATUSES = [
  'success',
  'error',
  'skipped',
  'cancelled',
  'pass',
  'warn',
  'fail',
] as const satisfies readonly NodeStatus[];

const RUN_TESTS_MODES = ['after-each-model', 'none', 'only'] as const satisfies readonly RunTestsMode[];
const RESOURCE_TYPES = ['seed', 'model', 'snapshot', 'test'] as const satisfies readonly RunnableKind[];

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();
const nonEmpty = z.string().min(1);

const runErrorSchema = z.object({ code: nonEmpty, message: z.string() });

/** One table of a run. Fields marked optional were not recorded by every version that wrote runs. */
const tableOutcomeSchema = z.object({
  table: nonEmpty,
  strategy: z.enum(['append', 'upsert', 'full']).optional(),
  status: z.enum(TABLE_OUTCOME_STATUSES),
  /** Rows read from the source (also for a table that then failed). */
  rows: count,
  /** Rows read from the source: `rows`, under the name the run records of issues 15/17/19 share. */
  read: count.optional(),
  /** Bytes of chunk files written. */
  bytes: count,
  /** Rows new to the warehouse. */
  inserted: count.optional(),
  /** Rows whose values changed (a row read again with the values the warehouse holds counts 0). */
  updated: count.optional(),
  deleted: count.optional(),
  /** An open transaction that made the run read again rows it had loaded (see `TableResult.heldBack`). */
  heldBack: z
    .object({
      xid: nonEmpty,
      pid: z.number().int().optional(),
      database: z.string().optional(),
      since: z.string().optional(),
      rows: count,
    })
    .optional(),
  seconds: seconds.optional(),
  warehouseStatements: count.optional(),
  uploadedBytes: count.optional(),
  /** Why the table was loaded as it was, when that is news (its raw table was missing, the warehouse was restored
   *  or replaced, its position moved into the warehouse, a first load resumed, the table was adopted). */
  notes: z.array(z.string()).optional(),
  error: runErrorSchema.optional(),
});

const isoTime = z.string().datetime({ offset: true });

/** One model, seed or snapshot of a run. */
const modelOutcomeSchema = z.object({
  name: nonEmpty,
  kind: z.enum(['model', 'snapshot', 'seed']).optional(),
  status: z.enum(NODE_OUTCOME_STATUSES),
  /** When it started (absent when it never started, and in older records): the run page's timeline. */
  startedAt: isoTime.optional(),
  seconds: seconds.optional(),
  message: z.string().optional(),
  /** The error's stable code, when it failed with one. */
  errorCode: nonEmpty.optional(),
  /** Set when the change-aware build did not build it (a test: did not run it; its last result stands): why. */
  reused: z.string().optional(),
});

/** A sample value of a failing row, as text (`null` for SQL NULL), cut at `SAMPLE_VALUE_CHARS`. */
const sampleValue = z.union([z.string(), z.null()]);

/** One data test of a run. */
const testOutcomeSchema = z.object({
  name: nonEmpty,
  /** The node the test is declared on (dbt's `attached_node`): a model or snapshot name, or `source.table`. */
  model: nonEmpty.optional(),
  status: z.enum(NODE_OUTCOME_STATUSES),
  severity: z.enum(['error', 'warn']),
  /** Failing rows, when the test ran. */
  failures: count.optional(),
  startedAt: isoTime.optional(),
  seconds: seconds.optional(),
  /** Set when the change-aware build did not build it (a test: did not run it; its last result stands): why. */
  reused: z.string().optional(),
  message: z.string().optional(),
  /** Up to `MAX_SAMPLE_ROWS` failing rows, each column's value as text. */
  samples: z.array(z.record(z.string(), sampleValue)).max(5).optional(),
  /** Where all failing rows were stored (`schema.table`), when the test stores them. */
  storedIn: nonEmpty.optional(),
});

/** Who ran a run: the run lock's holder label, and the process. What liveness checks compare. */
const runHolderSchema = z.object({ name: z.string(), host: z.string(), pid: z.number().int().nonnegative() });

/** One line of a run's log. */
const logLineSchema = z.object({
  at: isoTime,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  msg: z.string(),
});

/** What a run was asked to do: which steps, with tests or not, on which tables and nodes. */
const runScopeSchema = z.object({
  steps: z.array(z.enum(PIPELINE_STEPS)),
  /** The build step: `after-each-model` (dbt's build), `none` (models only, dbt's run), `only` (dbt's test). */
  runTests: z.enum(RUN_TESTS_MODES),
  tables: z.array(nonEmpty).optional(),
  select: z.array(nonEmpty).optional(),
  exclude: z.array(nonEmpty).optional(),
  fullRefresh: z.boolean().optional(),
  /** `--all`: every node built, none reused. */
  all: z.boolean().optional(),
  /** The kinds of node the build step built (dbt's verb: `run` models, `seed`, `snapshot`); absent: every kind. */
  resourceTypes: z.array(z.enum(RESOURCE_TYPES)).optional(),
});

/** The run record's `detail`, version 1: what the state store keeps as JSON for every run. */
export const runDetailSchema = z.object({
  version: z.literal(RUN_RECORD_VERSION),
  /** The CLI command that started it (`run`, `ingest`, `build`, `models run`, `test`), when one did. */
  command: nonEmpty.optional(),
  /** Absent in records from before version 1 and in records of runs that never started (a skipped slot). */
  scope: runScopeSchema.optional(),
  /** Attempts made per step (0: the step did not run). */
  attempts: z.object({ ingest: count, build: count }),
  tables: z.array(tableOutcomeSchema),
  models: z.array(modelOutcomeSchema),
  tests: z.array(testOutcomeSchema),
  /** `target/docs/index.html` of the build. */
  lineagePage: nonEmpty.optional(),
  /** Schedule slots passed over (records of skipped slots). */
  missedSlots: count.optional(),
  /** The process running it (absent in older records). */
  holder: runHolderSchema.optional(),
  /** The last sign of life of the process running it: re-saved every `RUN_HEARTBEAT_MS` while it runs. */
  heartbeatAt: isoTime.optional(),
  /** The run's log: at most `MAX_LOG_LINES` (the first and the last ones), `logDropped` lines left out between. */
  log: z.array(logLineSchema).optional(),
  logDropped: count.optional(),
  error: runErrorSchema.optional(),
});

export type RunDetail = z.infer<typeof runDetailSchema>;
export type RunScope = z.infer<typeof runScopeSchema>;
export type RunError = z.infer<typeof runErrorSchema>;
export type TableOutcome = z.infer<typeof tableOutcomeSchema>;
export type ModelOutcome = z.infer<typeof modelOutcomeSchema>;
export type TestOutcome = z.infer<typeof testOutcomeSchema>;
export type RunHolder = z.infer<typeof runHolderSchema>;
export type RunLogLine = z.infer<typeof logLineSchema>;

/** Failing rows kept per test, columns per row and characters per value (the run record stays small). */
export const MAX_SAMPLE_ROWS = 5;
const MAX_SAMPLE_COLUMNS = 20;
const SAMPLE_VALUE_CHARS = 200;

/** A stored run with its `detail` parsed into the current shape. */
export interface ParsedRunRecord extends Omit<RunRecord, 'detail'> {
  readonly detail: RunDetail;
}

/** A run record's detail that does not parse: `problems` name each field (`detail.tables[0].rows: …`). */
export class RunRecordError extends Error {
  override readonly name = 'RunRecordError';
  readonly code = 'INVALID_RUN_RECORD';
  readonly runId: string | undefined;
  readonly problems: readonly string[];

  constructor(problems: readonly string[], runId?: string) {
    super(
      `${runId === undefined ? 'run record' : `run record ${JSON.stringify(runId)}`} is not one Sluice wrote: ${problems.join('; ')}`,
    );
    this.runId = runId;
    this.problems = problems;
  }
}

// Every shape written before `version` existed, read leniently: the pipeline run (`attempts`, `tables`, `models`,
// `tests`, `lineagePage`, `error`), its first save (`{ tables: [] }`), `models run` / `test` (`command`, and
// `{ command }` alone while running), and the scheduler's own records (`missedSlots`, an error alone).
const legacyTableSchema = tableOutcomeSchema.extend({ rows: count.default(0), bytes: count.default(0) });
const legacyTestSchema = testOutcomeSchema.extend({ severity: z.enum(['error', 'warn']).default('error') });
const legacyRunDetailSchema = z.object({
  command: nonEmpty.optional(),
  attempts: z.object({ ingest: count.default(0), build: count.default(0) }).optional(),
  tables: z.array(legacyTableSchema).default([]),
  models: z.array(modelOutcomeSchema).default([]),
  tests: z.array(legacyTestSchema).default([]),
  lineagePage: nonEmpty.optional(),
  missedSlots: count.optional(),
  error: runErrorSchema.optional(),
});

function migrateLegacy(legacy: z.infer<typeof legacyRunDetailSchema>): RunDetail {
  const { attempts, ...rest } = legacy;
  // `models run` and `test` records said what they ran only through `command`.
  const scope: RunScope | undefined =
    legacy.command === 'models run'
      ? { steps: ['build'], runTests: 'none' }
      : legacy.command === 'test'
        ? { steps: ['build'], runTests: 'only' }
        : undefined;
  return {
    version: RUN_RECORD_VERSION,
    ...rest,
    ...(scope ? { scope } : {}),
    attempts: attempts ?? { ingest: 0, build: 0 },
  };
}

/**
 * Parse a run record's `detail` into the current shape, migrating what older versions wrote. Throws
 * `RunRecordError` naming every field that is wrong (and the run, when `runId` is given).
 *
 * @example const detail = parseRunDetail((await state.getRun(id))!.detail, id);
 */
export function parseRunDetail(value: unknown, runId?: string): RunDetail {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RunRecordError([`detail: expected a JSON object, got ${describeValue(value)}`], runId);
  const version = (value as { version?: unknown }).version;
  if (version === undefined) return migrateLegacy(check(legacyRunDetailSchema, value, runId));
  if (version === RUN_RECORD_VERSION) return check(runDetailSchema, value, runId);
  if (typeof version === 'number' && Number.isInteger(version) && version > RUN_RECORD_VERSION)
    throw new RunRecordError(
      [
        `detail.version: ${version} was written by a newer Sluice (this one reads up to version ${RUN_RECORD_VERSION}): upgrade this process`,
      ],
      runId,
    );
  throw new RunRecordError([`detail.version: expected ${RUN_RECORD_VERSION}, got ${describeValue(version)}`], runId);
}

/**
 * A stored run with its detail parsed. Never throws: a detail that does not parse is read as a run with nothing
 * in it and the error `UNREADABLE_RUN_RECORD` saying what is wrong, so one bad record never takes a page down.
 */
export function readRunRecord<R extends Pick<RunRecord, 'id' | 'detail'>>(
  record: R,
): Omit<R, 'detail'> & { readonly detail: RunDetail } {
  try {
    return { ...record, detail: parseRunDetail(record.detail, record.id) };
  } catch (error) {
    if (!(error instanceof RunRecordError)) throw error;
    return { ...record, detail: emptyDetail({ code: 'UNREADABLE_RUN_RECORD', message: error.message }) };
  }
}

/** What a run record is built from: the stored fields, and the detail (missing lists are empty). */
export interface RunRecordInput {
  readonly id: string;
  readonly trigger: string;
  readonly status: RunStatus;
  readonly startedAt: Date;
  readonly endedAt?: Date | undefined;
  readonly detail?: Partial<Omit<RunDetail, 'version'>>;
}

/**
 * The one way a run record is made: stamps the version, fills what is missing (no attempts, no tables, models or
 * tests), and checks the result against `runDetailSchema`, so every record written parses.
 *
 * @example await state.saveRun(buildRunRecord({ id, trigger: 'cli', status: 'running', startedAt, detail: { scope } }));
 */
export function buildRunRecord(input: RunRecordInput): RunRecord {
  const detail = check(
    runDetailSchema,
    { ...emptyDetail(undefined), ...dropUndefined(input.detail ?? {}), version: RUN_RECORD_VERSION },
    input.id,
  );
  return {
    id: input.id,
    trigger: input.trigger,
    status: input.status,
    startedAt: input.startedAt,
    ...(input.endedAt ? { endedAt: input.endedAt } : {}),
    detail: toJson(detail),
  };
}

/**
 * A stored run ended by someone other than its runner (a run left `running` by a process that died): what it had
 * recorded stays, in the current shape, with the new status, end and error.
 */
export function endRunRecord(
  record: RunRecord,
  end: { readonly status: RunStatus; readonly endedAt: Date; readonly error: RunError },
): RunRecord {
  const { detail } = readRunRecord(record);
  const { version: _version, ...kept } = detail;
  return buildRunRecord({ ...record, status: end.status, endedAt: end.endedAt, detail: { ...kept, error: end.error } });
}

/** The detail of a finished pipeline run: per table, model and test what happened, from the steps' results. */
export function runOutcomeDetail(outcome: {
  readonly command?: string | undefined;
  readonly scope: RunScope;
  readonly ingest: IngestResult | undefined;
  readonly build: BuildResult | undefined;
  readonly attempts: Readonly<Record<PipelineStep, number>>;
  readonly error: RunError | undefined;
  /** What the steps reported as they went (per table, per node): recorded when a step threw before its result,
   *  so a run whose source went away still says which tables it reached and how each ended. */
  readonly reached?: { readonly tables: readonly TableResult[]; readonly nodes: readonly NodeResult[] };
}): Omit<RunDetail, 'version'> {
  const results = outcome.build?.run.results ?? outcome.reached?.nodes ?? [];
  return {
    ...(outcome.command ? { command: outcome.command } : {}),
    scope: outcome.scope,
    attempts: { ingest: outcome.attempts.ingest, build: outcome.attempts.build },
    tables: (outcome.ingest?.tables ?? outcome.reached?.tables ?? []).map(tableOutcome),
    models: results.filter((r) => r.kind !== 'test').map(modelOutcome),
    tests: results.filter((r) => r.kind === 'test').map((r) => testOutcome(r, outcome.build?.testedNodes.get(r.id))),
    ...(outcome.build ? { lineagePage: outcome.build.lineagePage } : {}),
    ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
  };
}

/** A test that failed (or could not run) at `error` severity: the kind that fails a run and pages someone. */
export function isErrorTestFailure(test: TestOutcome): boolean {
  return (test.status === 'fail' || test.status === 'error') && test.severity !== 'warn';
}

/** Any failed test, warnings included (`warn` status, or a failure at `warn` severity). */
export function isFailingTest(test: TestOutcome): boolean {
  return test.status === 'fail' || test.status === 'error' || test.status === 'warn';
}

/** A table's result as the run record keeps it. */
export function tableOutcome(t: TableResult): TableOutcome {
  return {
    table: t.table,
    strategy: t.strategy,
    status: t.status,
    rows: t.rows,
    read: t.rows,
    bytes: t.bytes,
    inserted: t.inserted,
    updated: t.updated,
    deleted: t.deleted,
    seconds: Number(t.seconds.toFixed(3)),
    warehouseStatements: t.warehouseStatements,
    uploadedBytes: t.uploadedBytes,
    ...(t.heldBack ? { heldBack: { ...t.heldBack } } : {}),
    ...(t.notes && t.notes.length > 0 ? { notes: [...t.notes] } : {}),
    ...(t.error ? { error: { code: t.error.code, message: t.error.message } } : {}),
  };
}

/** A model's or snapshot's result as the run record keeps it. */
export function modelOutcome(r: NodeResult): ModelOutcome {
  return {
    name: r.name,
    kind: r.kind === 'snapshot' || r.kind === 'seed' ? r.kind : 'model',
    status: r.status,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    seconds: roundSeconds(r.elapsedMs),
    message: r.message,
    ...(r.errorCode ? { errorCode: r.errorCode } : {}),
    ...(r.reused === undefined ? {} : { reused: r.reused }),
  };
}

/** A test's result as the run record keeps it (`model`: the node it is on), with a few failing rows. */
export function testOutcome(r: NodeResult, model: string | undefined): TestOutcome {
  const samples = r.samples?.slice(0, MAX_SAMPLE_ROWS).map(sampleRow);
  return {
    name: r.name,
    ...(model ? { model } : {}),
    status: r.status,
    severity: r.severity ?? 'error',
    failures: r.failures ?? 0,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    seconds: roundSeconds(r.elapsedMs),
    message: r.message,
    ...(samples && samples.length > 0 ? { samples } : {}),
    ...(r.storedIn ? { storedIn: `${r.storedIn.schema}.${r.storedIn.name}` } : {}),
    ...(r.reused === undefined ? {} : { reused: r.reused }),
  };
}

/** A failing row as the record keeps it: each value as text, cut short; at most `MAX_SAMPLE_COLUMNS` columns. */
function sampleRow(row: Readonly<Record<string, unknown>>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [column, value] of Object.entries(row).slice(0, MAX_SAMPLE_COLUMNS)) {
    if (value === null || value === undefined) {
      out[column] = null;
      continue;
    }
    const text =
      value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
          : String(value);
    out[column] = text.length > SAMPLE_VALUE_CHARS ? `${text.slice(0, SAMPLE_VALUE_CHARS - 1)}…` : text;
  }
  return out;
}

function roundSeconds(elapsedMs: number): number {
  return Number((elapsedMs / 1000).toFixed(3));
}

function emptyDetail(error: RunError | undefined): RunDetail {
  return {
    version: RUN_RECORD_VERSION,
    attempts: { ingest: 0, build: 0 },
    tables: [],
    models: [],
    tests: [],
    ...(error ? { error } : {}),
  };
}

function check<S extends z.ZodType>(schema: S, value: unknown, runId: string | undefined): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new RunRecordError(
    parsed.error.issues.map((issue) => `${['detail', ...issue.path.map(pathPart)].join('')}: ${issue.message}`),
    runId,
  );
}

function pathPart(key: PropertyKey): string {
  return typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string'
    ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
    : typeof value;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The detail as the state store keeps it: plain JSON (optional fields that are absent are left out). */
function toJson(detail: RunDetail): JsonObject {
  return JSON.parse(JSON.stringify(detail)) as JsonObject;
}
