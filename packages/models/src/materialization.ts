import type { Relation, RelationState, Row, SqlDialect, TableOptions } from '@sluice/warehouse';
import type { CompiledNode } from './compile-project.js';
import type { ModelConfig, SeedConfig, SnapshotConfig } from './node-config.js';
import type { ModelNode, SeedNode, SnapshotNode } from './project.js';
import { lineOfMatch } from './scan-references.js';

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
  /** Run DML statements as one transaction (all or nothing); answers the rows each affected. */
  | { readonly kind: 'transaction'; readonly statements: readonly string[] }
  /** Read a relation's state (kind and columns); answers `undefined` when it does not exist. */
  | { readonly kind: 'describe'; readonly relation: Relation }
  /** Best effort, once the work is done or has failed (dropping a staging table): its failure is ignored. */
  | { readonly kind: 'cleanup'; readonly sql: string };

/** The answer to a step. */
export type StepResult =
  | { readonly kind: 'execute'; readonly rowsAffected: number | undefined }
  | { readonly kind: 'query'; readonly rows: readonly Row[] }
  | { readonly kind: 'transaction'; readonly rowsAffected: readonly (number | undefined)[] }
  | { readonly kind: 'describe'; readonly state: RelationState | undefined }
  | { readonly kind: 'cleanup' };

/** What a planner reports once its steps have run. */
export interface PlannedOutcome {
  /** The compiled node that was built (incremental runs: the `is_incremental()` rendering). */
  readonly compiled: CompiledNode;
  /** e.g. `view created`, `merged 12 rows on id`, `table rebuilt (full refresh)`. */
  readonly message: string;
  readonly rowsAffected?: number;
  /** Configs the engine cannot honour, each naming the config, the file and the line (`grants` on DuckDB). */
  readonly warnings?: readonly string[];
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

/** DML statements as one transaction; the rows each affected. */
export function* transaction(statements: readonly string[]): Step<readonly (number | undefined)[]> {
  return answerOf(yield { kind: 'transaction', statements }, 'transaction').rowsAffected;
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

/**
 * How a node's table is created, from its config: transient unless `transient: false` (dbt-snowflake's default for
 * models; seeds, rebuilt from their CSV, too; snapshots, whose history cannot be rebuilt, default to permanent),
 * `cluster_by`, and `copy_grants` (default true: a rebuild keeps what was granted on the relation). Engines ignore
 * what they do not have.
 */
export function tableOptionsOf(
  config: ModelConfig | SnapshotConfig | SeedConfig,
  kind: 'model' | 'snapshot' | 'seed',
): TableOptions {
  const transient = config.transient ?? kind !== 'snapshot';
  const clusterBy = 'cluster_by' in config ? config.cluster_by : undefined;
  const copyGrants = 'copy_grants' in config ? config.copy_grants : undefined;
  return {
    retention: transient ? 'transient' : 'permanent',
    ...(clusterBy && clusterBy.length > 0 ? { clusterBy } : {}),
    ...(copyGrants === undefined ? {} : { copyGrants }),
  };
}

/** Options of a table that lives only within one step (`__sluice_tmp`, snapshot staging): no copy kept anywhere. */
export const SCRATCH_TABLE: TableOptions = { retention: 'scratch' };

/** Build `compiled` as a view or table with `CREATE OR REPLACE`, its pre- and post-hooks around it. */
export function* buildRelation(
  dialect: SqlDialect,
  kind: 'view' | 'table',
  compiled: CompiledNode,
  options: TableOptions = {},
): Step<void> {
  const relation = compiled.relation as Relation;
  yield* runHooks(compiled.preHooks);
  const statement =
    kind === 'view'
      ? dialect.createOrReplaceView(relation, compiled.sql, {
          ...(options.copyGrants === undefined ? {} : { copyGrants: options.copyGrants }),
        })
      : dialect.createOrReplaceTableAs(relation, compiled.sql, options);
  yield* replaceRelation(dialect, kind, relation, statement);
  yield* runHooks(compiled.postHooks);
}

/**
 * dbt's `grants`: after a build, grant what the config lists and revoke what else is granted on the relation (the
 * owner's OWNERSHIP excepted), reading the current grants first (`SHOW GRANTS`, metadata only). On an engine without
 * privileges (DuckDB) nothing is sent and a warning names the config, the file and the line.
 */
export function* applyGrants(
  dialect: SqlDialect,
  node: ModelNode | SnapshotNode | SeedNode,
  relation: Relation,
  kind: 'view' | 'table',
): Step<readonly string[]> {
  const grants = node.config.grants;
  if (grants === undefined) return [];
  const privileges = dialect.privileges;
  if (privileges === undefined) return [configWarning(node, 'grants', 'this engine has no roles or privileges')];
  const desired = new Map(
    Object.entries(grants).map(([privilege, grantees]) => [
      privilege.toUpperCase(),
      new Set(grantees.map((g) => privileges.granteeName(g))),
    ]),
  );
  const current = privileges.grantsFromRows(yield* query(privileges.showGrants(relation, kind)));
  for (const [privilege, grantees] of current) {
    for (const grantee of grantees) {
      if (!desired.get(privilege)?.has(grantee)) yield* execute(privileges.revoke(relation, kind, privilege, grantee));
    }
  }
  for (const [privilege, grantees] of desired) {
    for (const grantee of grantees) {
      if (!current.get(privilege)?.includes(grantee))
        yield* execute(privileges.grant(relation, kind, privilege, grantee));
    }
  }
  return [];
}

/** `config grants at models/x.sql:3 is ignored: …` — a config the engine cannot honour, and where it is set. */
export function configWarning(node: ModelNode | SnapshotNode | SeedNode, key: string, why: string): string {
  // A seed's config is never in its file (a CSV): property files, dbt_project.yml or sluice.yml.
  const match = node.kind === 'seed' ? undefined : lineOfMatch(node.rawSql, new RegExp(`\\b${key}\\s*=`));
  const line = match === undefined ? undefined : match + (node.kind === 'snapshot' ? (node.line ?? 1) - 1 : 0);
  const where =
    line === undefined
      ? `of ${node.file} (set in a property file, dbt_project.yml or sluice.yml)`
      : `at ${node.file}:${String(line)}`;
  return `config ${key} ${where} is ignored: ${why}`;
}
