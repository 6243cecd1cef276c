import type { Warehouse } from '@sluice/warehouse';
import { applyPlan, type AppliedPlan } from './apply-plan.js';
import type { CompiledNode } from './compile-project.js';
import type { MaterializationPlan, PlanStep, StepResult } from './materialization.js';
import { planMaterialization } from './materializations/materialization-registry.js';
import type { ModelNode, SnapshotNode } from './project.js';
import { pendingWarehouseCall, performWarehouseCall } from './warehouse-calls.js';

/** What materializing needs besides the node: the warehouse, the statement options and the run's flags. */
export interface MaterializeContext {
  readonly warehouse: Warehouse;
  readonly signal?: AbortSignal;
  readonly fullRefresh: boolean;
  /** The run's start, used where a snapshot needs a time of its own (check strategy, invalidated deletes). */
  readonly runStartedAt: Date;
  /** Renders the node; `incremental` is what `is_incremental()` returns. */
  readonly compile: (incremental: boolean) => CompiledNode;
  /** Names the run in each statement's tag (Snowflake QUERY_TAG), e.g. `sluice run <id>`. */
  readonly tagPrefix?: string;
}

/**
 * The tag of a node's statements: its `query_tag` config when it has one (dbt-snowflake's), else the run and the
 * node (`sluice run 3f… model model.novadrive.fct_vendas`).
 */
export function statementTag(
  ctx: { readonly tagPrefix?: string },
  nodeId: string,
  queryTag?: string | undefined,
): string {
  if (queryTag !== undefined) return queryTag;
  return ctx.tagPrefix ? `${ctx.tagPrefix} ${nodeId}` : nodeId;
}

/** What a materialization did: the compiled node, the rows affected, a message, the warehouse calls made. */
export type MaterializeOutcome = AppliedPlan;

/** More passes than any model needs: a template that keeps asking the warehouse is a loop. */
const MAX_PASSES = 10_000;

/**
 * Build a model or snapshot: its materialization's planner (`materialization-registry.ts`) yields the steps and
 * `applyPlan` runs them. Ephemeral models are never materialized (INVALID_MATERIALIZATION).
 *
 * A template that asks the warehouse something while the planner compiles it (`run_query`,
 * `adapter.get_columns_in_relation`) stops the plan with `WarehouseCallPending`: the call is made, its answer
 * recorded in the node's compile, and the plan replayed from its start — the steps it already took are answered
 * from the record, not run again — until it gets past every question.
 */
export async function materializeNode(
  ctx: MaterializeContext,
  node: ModelNode | SnapshotNode,
): Promise<MaterializeOutcome> {
  const record: RecordedStep[] = [];
  let statements = 0;
  const tag = statementTag(ctx, node.id, node.config.query_tag);
  const send = {
    tag,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(node.config.snowflake_warehouse === undefined ? {} : { compute: node.config.snowflake_warehouse }),
  };
  for (let pass = 0; ; pass++) {
    const plan = planMaterialization(node, {
      dialect: ctx.warehouse.dialect,
      compile: ctx.compile,
      fullRefresh: ctx.fullRefresh,
      runStartedAt: ctx.runStartedAt,
    });
    try {
      const applied = await applyPlan(replaying(plan, record), ctx.warehouse, send);
      return { ...applied, statements: statements + applied.statements };
    } catch (error) {
      const pending = pendingWarehouseCall(error);
      if (pending === undefined || pass >= MAX_PASSES) throw error;
      pending.settle(await performWarehouseCall(ctx.warehouse, pending.call, send));
      statements += 1 + record.filter((r) => !r.replayed).length;
      for (const r of record) r.replayed = true;
    }
  }
}

interface RecordedStep {
  readonly step: PlanStep;
  readonly outcome: { readonly result: StepResult } | { readonly error: unknown };
  /** Counted in an earlier pass. */
  replayed?: boolean;
}

function sameStep(a: PlanStep, b: PlanStep): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'describe' && b.kind === 'describe') {
    return a.relation.schema === b.relation.schema && a.relation.name === b.relation.name;
  }
  if (a.kind === 'transaction' && b.kind === 'transaction') {
    return a.statements.length === b.statements.length && a.statements.every((sql, i) => sql === b.statements[i]);
  }
  return (a as { sql: string }).sql === (b as { sql: string }).sql;
}

/**
 * A plan whose first steps are answered from `record` while they are the steps recorded (a pure planner given the
 * same answers asks the same things); from the first different step on, its steps go out and are recorded.
 */
function* replaying(plan: MaterializationPlan, record: RecordedStep[]): MaterializationPlan {
  let index = 0;
  let live = false;
  let next = plan.next();
  while (!next.done) {
    const step = next.value;
    const known = live ? undefined : record[index];
    if (known !== undefined && sameStep(known.step, step)) {
      index++;
      next = 'error' in known.outcome ? plan.throw(known.outcome.error) : plan.next(known.outcome.result);
      continue;
    }
    if (!live) {
      live = true;
      record.length = index;
    }
    let outcome: RecordedStep['outcome'];
    try {
      outcome = { result: yield step };
    } catch (error) {
      outcome = { error };
    }
    record.push({ step, outcome });
    index++;
    next = 'error' in outcome ? plan.throw(outcome.error) : plan.next(outcome.result);
  }
  return next.value;
}
