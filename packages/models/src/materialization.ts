import type { Relation, RelationState, Row, SqlDialect } from '@sluice/warehouse';
import type { CompiledNode } from './compile-project.js';
import type { ModelNode, SnapshotNode } from './project.js';

/*
 * A materialization is a pure planner: given the node, its compiled SQL, the run's flags and the engine's dialect,
 * it yields the steps that build the node — statements to run, and reads of relation state it needs to decide
 * (`describe`) — and receives each step's result. It performs no I/O itself: `applyPlan` runs the steps against a
 * warehouse, and the golden tests run them against fixed relation states. Write planners with the step helpers
 * below (`yield* execute(sql)`, `yield* describe(relation)`, …), so they read like straight-line code.
 */

/** One step a planner asks for. */
export type PlanStep =
  /** Run a statement; answers the rows it affected when the engine knows. */
  | { readonly kind: 'execute'; readonly sql: string }
  /** Run a query; answers its rows. */
  | { readonly kind: 'query'; readonly sql: string }
  /** Read a relation's state (kind and columns); answers `undefined` when it does not exist. */
  | { readonly kind: 'describe'; readonly relation: Relation }
  /** Best effort, once the work is done or has failed (dropping a staging table): its failure is ignored. */
  | { readonly kind: 'cleanup'; readonly sql: string };

/** The answer to a step. */
export type StepResult =
  | { readonly kind: 'execute'; readonly rowsAffected: number | undefined }
  | { readonly kind: 'query'; readonly rows: readonly Row[] }
  | { readonly kind: 'describe'; readonly state: RelationState | undefined }
  | { readonly kind: 'cleanup' };

/** What a planner reports once its steps have run. */
export interface PlannedOutcome {
  /** The compiled node that was built (incremental runs: the `is_incremental()` rendering). */
  readonly compiled: CompiledNode;
  /** e.g. `view created`, `merged 12 rows on id`, `table rebuilt (full refresh)`. */
  readonly message: string;
  readonly rowsAffected?: number;
}

/** A planner's run: the steps it yields, the answers it is sent, the outcome it returns. */
export type MaterializationPlan = Generator<PlanStep, PlannedOutcome, StepResult>;

/** Everything a planner may read. All of it is data: a planner does no I/O. */
export interface MaterializationInput<N extends ModelNode | SnapshotNode> {
  readonly node: N;
  readonly dialect: SqlDialect;
  /** Renders the node; `incremental` is what `is_incremental()` returns. Pure. */
  readonly compile: (incremental: boolean) => CompiledNode;
  /** `--full-refresh` (a model's `full_refresh` config overrides it). */
  readonly fullRefresh: boolean;
  /** The run's start: the time a snapshot records where it needs one of its own. */
  readonly runStartedAt: Date;
}

/**
 * A way of building a node (dbt's materialization): `view`, `table`, `incremental`, `snapshot`. Registered in
 * `materialization-registry.ts`; its statements are pinned per engine in `__golden__/`.
 */
export interface Materialization<N extends ModelNode | SnapshotNode> {
  /** The `materialized` config value that selects it (`snapshot` for snapshots). */
  readonly name: string;
  plan(input: MaterializationInput<N>): MaterializationPlan;
}

type Step<T> = Generator<PlanStep, T, StepResult>;

function answerOf<K extends StepResult['kind']>(result: StepResult, kind: K): Extract<StepResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`plan step ${kind} was answered with a ${result.kind} result`);
  return result as Extract<StepResult, { kind: K }>;
}

/** Run a statement; the rows it affected when the engine knows. */
export function* execute(sql: string): Step<number | undefined> {
  return answerOf(yield { kind: 'execute', sql }, 'execute').rowsAffected;
}

/** Run a query; its rows. */
export function* query(sql: string): Step<readonly Row[]> {
  return answerOf(yield { kind: 'query', sql }, 'query').rows;
}

/** A relation's kind and columns, or `undefined` when it does not exist. */
export function* describe(relation: Relation): Step<RelationState | undefined> {
  return answerOf(yield { kind: 'describe', relation }, 'describe').state;
}

/** A best-effort statement (its failure is ignored): for `finally` blocks. */
export function* cleanup(sql: string): Step<void> {
  answerOf(yield { kind: 'cleanup', sql }, 'cleanup');
}

/** Run `pre_hook` / `post_hook` statements in order. */
export function* runHooks(hooks: readonly string[]): Step<void> {
  for (const hook of hooks) yield* execute(hook);
}

/**
 * `CREATE OR REPLACE` a view or table. When the name is taken by the other kind (a model switched from view to
 * table), that relation is dropped and the statement repeated; only that switch is not atomic.
 */
export function* replaceRelation(
  dialect: SqlDialect,
  kind: 'view' | 'table',
  relation: Relation,
  statement: string,
): Step<void> {
  try {
    yield* execute(statement);
  } catch (error) {
    let existing: RelationState | undefined;
    try {
      existing = yield* describe(relation);
    } catch {
      existing = undefined;
    }
    if (existing === undefined || existing.kind === kind) throw error;
    yield* execute(dialect.dropRelation(relation, existing.kind));
    yield* execute(statement);
  }
}

/** Two column names the warehouse treats as one (the models compare names without case). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Build `compiled` as a view or table with `CREATE OR REPLACE`, its pre- and post-hooks around it. */
export function* buildRelation(dialect: SqlDialect, kind: 'view' | 'table', compiled: CompiledNode): Step<void> {
  const relation = compiled.relation as Relation;
  yield* runHooks(compiled.preHooks);
  const statement =
    kind === 'view'
      ? dialect.createOrReplaceView(relation, compiled.sql)
      : dialect.createOrReplaceTableAs(relation, compiled.sql);
  yield* replaceRelation(dialect, kind, relation, statement);
  yield* runHooks(compiled.postHooks);
}
