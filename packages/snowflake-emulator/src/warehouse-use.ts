import type { PlanOf, StatementPlan } from './sql/statement-plan.js';

/** Whether a kind of statement needs a warehouse: always, never, or as the plan says. */
type WarehouseRule<K extends StatementPlan['kind']> = boolean | ((plan: PlanOf<K>) => boolean);

/**
 * Would Snowflake resume a warehouse to run this kind of statement (see the README's "Statistics")? One entry per
 * statement kind and no default, so a new kind is classified when it is added. Queries and CREATE TABLE … AS say
 * for themselves (the planner decides whether they read a table); statements accepted without effect say so too.
 */
const WAREHOUSE_RULES: { readonly [K in StatementPlan['kind']]: WarehouseRule<K> } = {
  query: (plan) => plan.compute,
  insert: true,
  update: true,
  delete: true,
  merge: true,
  'copy-into': true,
  truncate: true,
  'create-table': (plan) => plan.compute,
  noop: (plan) => plan.compute ?? false,
  'create-view': false,
  'create-database': false,
  'create-schema': false,
  drop: false,
  'alter-table': false,
  'alter-view-rename': false,
  comment: false,
  use: false,
  'alter-session': false,
  transaction: false,
  show: false,
  // privileges and SHOW GRANTS are metadata: https://docs.snowflake.com/en/user-guide/cost-understanding-compute
  grant: false,
  'show-grants': false,
  describe: false,
  wait: false,
  'create-stage': false,
  'create-file-format': false,
  put: false,
  get: false,
  list: false,
  remove: false,
};

/** Would this statement resume a warehouse in Snowflake? */
export function needsWarehouse(plan: StatementPlan): boolean {
  // TypeScript cannot tie WAREHOUSE_RULES[plan.kind] to plan's own variant; the table's type guarantees it.
  const rule = WAREHOUSE_RULES[plan.kind] as WarehouseRule<StatementPlan['kind']>;
  return typeof rule === 'boolean' ? rule : rule(plan);
}
