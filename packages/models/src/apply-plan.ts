import type { Warehouse } from '@sluice/warehouse';
import type { MaterializationPlan, PlannedOutcome, PlanStep, StepResult } from './materialization.js';

/** How the steps of a plan are sent. */
export interface ApplyOptions {
  /** Names the run and node in each statement (Snowflake QUERY_TAG). */
  readonly tag: string;
  /** Aborting cancels the statement under way; cleanup steps still run. */
  readonly signal?: AbortSignal;
  /** The compute resource the statements run on (Snowflake: the node's `snowflake_warehouse`). */
  readonly compute?: string;
}

/** What applying a plan did: the planner's outcome and the warehouse calls it took. */
export interface AppliedPlan extends PlannedOutcome {
  /** Warehouse calls made: statements, queries, relation reads and cleanups. */
  readonly statements: number;
}

/**
 * The one step that touches the warehouse for every materialization: run each step a planner yields and send
 * the answer back. A failed step is thrown into the planner (its `finally` blocks yield their cleanups, which run
 * here and never fail the node); whatever the planner does not catch rejects this call.
 *
 * @example const applied = await applyPlan(viewMaterialization.plan(input), warehouse, { tag: 'sluice run 3f… model.shop.orders' });
 */
export async function applyPlan(
  plan: MaterializationPlan,
  warehouse: Warehouse,
  options: ApplyOptions,
): Promise<AppliedPlan> {
  let statements = 0;
  const send = {
    tag: options.tag,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.compute === undefined ? {} : { compute: options.compute }),
  };
  const perform = async (step: PlanStep): Promise<StepResult> => {
    statements++;
    switch (step.kind) {
      case 'execute':
        return { kind: 'execute', rowsAffected: (await warehouse.execute(step.sql, send)).rowsAffected };
      case 'query':
        return { kind: 'query', rows: await warehouse.query(step.sql, send) };
      case 'transaction':
        return {
          kind: 'transaction',
          rowsAffected: (await warehouse.executeAtomically(step.statements, send)).rowsAffected,
        };
      case 'describe':
        return { kind: 'describe', state: await warehouse.describeRelation(step.relation) };
      case 'cleanup':
        // Not cancelled with the run: a staging table must not outlive an aborted node.
        await warehouse
          .execute(step.sql, {
            tag: options.tag,
            ...(options.compute === undefined ? {} : { compute: options.compute }),
          })
          .catch(() => undefined);
        return { kind: 'cleanup' };
    }
  };
  let next = plan.next();
  while (!next.done) {
    let result: StepResult;
    try {
      result = await perform(next.value);
    } catch (error) {
      next = plan.throw(error);
      continue;
    }
    next = plan.next(result);
  }
  return { ...next.value, statements };
}
