import type { Warehouse } from '@sluice/warehouse';
import { applyPlan, type AppliedPlan } from './apply-plan.js';
import type { CompiledNode } from './compile-project.js';
import { planMaterialization } from './materializations/materialization-registry.js';
import type { ModelNode, SnapshotNode } from './project.js';

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

/**
 * Build a model or snapshot: its materialization's planner (`materialization-registry.ts`) yields the steps and
 * `applyPlan` runs them. Ephemeral models are never materialized (INVALID_MATERIALIZATION).
 */
export async function materializeNode(
  ctx: MaterializeContext,
  node: ModelNode | SnapshotNode,
): Promise<MaterializeOutcome> {
  const plan = planMaterialization(node, {
    dialect: ctx.warehouse.dialect,
    compile: ctx.compile,
    fullRefresh: ctx.fullRefresh,
    runStartedAt: ctx.runStartedAt,
  });
  return applyPlan(plan, ctx.warehouse, {
    tag: statementTag(ctx, node.id, node.config.query_tag),
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(node.config.snowflake_warehouse === undefined ? {} : { compute: node.config.snowflake_warehouse }),
  });
}
