import type { PlanOf, StatementPlan } from './sql/statement-plan.js';

/** The Snowflake pages the rules below rest on. */
export const WAREHOUSE_DOCS = {
  /** "Warehouses are required for queries, as well as all DML operations, including loading data into tables." */
  overview: 'https://docs.snowflake.com/en/user-guide/warehouses-overview',
  /** The "Metadata-based result" operator: a result computed from metadata alone (COUNT, MIN, MAX of a table). */
  metadataResult: 'https://docs.snowflake.com/en/user-guide/ui-query-profile',
  /** SHOW commands: "does not require a running warehouse to execute" (the usage notes of each SHOW page). */
  show: 'https://docs.snowflake.com/en/sql-reference/sql/show-tables',
  /** The DML command list (INSERT, UPDATE, DELETE, MERGE, TRUNCATE TABLE). */
  dml: 'https://docs.snowflake.com/en/sql-reference/sql-dml',
  /** COPY INTO <table>: loading runs on the session's warehouse. */
  copy: 'https://docs.snowflake.com/en/sql-reference/sql/copy-into-table',
  /** ALTER WAREHOUSE … RESUME starts the warehouse. */
  alterWarehouse: 'https://docs.snowflake.com/en/sql-reference/sql/alter-warehouse',
  /** Billing: per second, with a minimum of 60 seconds each time a warehouse starts or resumes. */
  billing: 'https://docs.snowflake.com/en/user-guide/cost-understanding-compute',
} as const;

/** Whether a kind of statement resumes a warehouse (always, never, or as the plan says), why, and which page says so. */
interface WarehouseRule<K extends StatementPlan['kind']> {
  readonly resumes: boolean | ((plan: PlanOf<K>) => boolean);
  readonly why: string;
  readonly doc: string;
}

/**
 * Would Snowflake resume a warehouse to run this kind of statement? One row per statement kind and no default, so a
 * new kind is classified when it is added; a row cites the page that decides it. Snowflake's rule is on the
 * overview page: queries that need compute and all DML need a running warehouse; DDL, session statements, SHOW and
 * DESCRIBE are answered by the cloud services layer. Where no page says a statement runs without one, it counts as
 * resuming (TRUNCATE, INFORMATION_SCHEMA queries, any query but the metadata-based shapes).
 */
export const WAREHOUSE_RULES: { readonly [K in StatementPlan['kind']]: WarehouseRule<K> } = {
  query: {
    resumes: (plan) => plan.compute,
    why: 'a query reading a table (INFORMATION_SCHEMA views too), except COUNT/MIN/MAX over a whole table and a SELECT without FROM',
    doc: WAREHOUSE_DOCS.metadataResult,
  },
  insert: { resumes: true, why: 'DML', doc: WAREHOUSE_DOCS.overview },
  update: { resumes: true, why: 'DML', doc: WAREHOUSE_DOCS.overview },
  delete: { resumes: true, why: 'DML', doc: WAREHOUSE_DOCS.overview },
  merge: { resumes: true, why: 'DML', doc: WAREHOUSE_DOCS.overview },
  truncate: {
    resumes: true,
    why: 'DML (TRUNCATE TABLE is in the DML list; no page says it is metadata-only)',
    doc: WAREHOUSE_DOCS.dml,
  },
  'copy-into': { resumes: true, why: 'loading data into a table', doc: WAREHOUSE_DOCS.copy },
  'create-table': {
    resumes: (plan) => plan.compute,
    why: 'CREATE TABLE … AS SELECT runs its query; a column list, LIKE or CLONE is DDL',
    doc: WAREHOUSE_DOCS.overview,
  },
  noop: {
    resumes: (plan) => plan.compute ?? false,
    why: 'ALTER WAREHOUSE … RESUME starts it; GRANT, CREATE/ALTER/DROP ROLE, USER, WAREHOUSE are DDL',
    doc: WAREHOUSE_DOCS.alterWarehouse,
  },
  'create-view': { resumes: false, why: 'DDL (the query runs when the view is read)', doc: WAREHOUSE_DOCS.overview },
  'create-database': { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  'create-schema': { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  drop: { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  'alter-table': { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  'alter-view-rename': { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  comment: { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  use: { resumes: false, why: 'session context, neither query nor DML', doc: WAREHOUSE_DOCS.overview },
  'alter-session': { resumes: false, why: 'session parameters, neither query nor DML', doc: WAREHOUSE_DOCS.overview },
  transaction: { resumes: false, why: 'BEGIN/COMMIT/ROLLBACK, neither query nor DML', doc: WAREHOUSE_DOCS.overview },
  show: { resumes: false, why: 'SHOW does not require a running warehouse', doc: WAREHOUSE_DOCS.show },
  grant: {
    resumes: false,
    why: 'GRANT / REVOKE on a table or view: access control DDL, neither query nor DML',
    doc: WAREHOUSE_DOCS.overview,
  },
  'show-grants': { resumes: false, why: 'SHOW does not require a running warehouse', doc: WAREHOUSE_DOCS.show },
  describe: { resumes: false, why: 'metadata, neither query nor DML', doc: WAREHOUSE_DOCS.overview },
  wait: { resumes: false, why: 'SYSTEM$WAIT reads no table', doc: WAREHOUSE_DOCS.overview },
  'create-stage': { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  'create-file-format': { resumes: false, why: 'DDL', doc: WAREHOUSE_DOCS.overview },
  put: { resumes: false, why: 'the client uploads the file; no query, no DML', doc: WAREHOUSE_DOCS.overview },
  get: { resumes: false, why: 'the client downloads the file; no query, no DML', doc: WAREHOUSE_DOCS.overview },
  list: { resumes: false, why: 'stage metadata, neither query nor DML', doc: WAREHOUSE_DOCS.overview },
  remove: { resumes: false, why: 'stage files, neither query nor DML', doc: WAREHOUSE_DOCS.overview },
};

/** Would this statement resume a warehouse in Snowflake? */
export function needsWarehouse(plan: StatementPlan): boolean {
  // TypeScript cannot tie WAREHOUSE_RULES[plan.kind] to plan's own variant; the table's type guarantees it.
  const rule = WAREHOUSE_RULES[plan.kind] as WarehouseRule<StatementPlan['kind']>;
  return typeof rule.resumes === 'boolean' ? rule.resumes : rule.resumes(plan);
}
