import type { MaterializationName } from './materializations/materialization-registry.js';
import type { ModelConfig, SeedConfig, SnapshotConfig, TestConfig } from './node-config.js';
import type { ProjectIssue } from './project-issue.js';

/** The kinds of node in a project's graph. Sources are not run; they anchor lineage and `source:` selection. */
export type NodeKind = 'model' | 'seed' | 'snapshot' | 'test' | 'source';

/** A column as the property files document it. */
export interface ColumnDoc {
  readonly name: string;
  readonly description: string;
  readonly dataType?: string;
  /** Quote the name in generic tests (dbt's `quote: true`). */
  readonly quote?: boolean;
}

interface NodeBase {
  /** Unique id: `model.novadrive.fct_vendas`, `source.novadrive.novadrive.vendas`, `test.novadrive.unique_…`. */
  readonly id: string;
  readonly kind: NodeKind;
  readonly name: string;
  /** The file that defines the node, relative to the project folder, with `/` separators. */
  readonly file: string;
  /** 1-based line of the definition (property-file nodes: the line of the entry). */
  readonly line?: number;
  /** The project name, the folders under the resource folder, then the name: dbt's fully qualified name. */
  readonly fqn: readonly string[];
  readonly description: string;
  readonly tags: readonly string[];
  /** Unique ids of the nodes this one reads (refs, sources; for tests the tested nodes). */
  readonly dependsOn: readonly string[];
}

/** A SQL model (`models/**.sql`). */
export interface ModelNode extends NodeBase {
  readonly kind: 'model';
  readonly config: ModelConfig;
  /** A registered materialization (`materialization-registry.ts`), or `ephemeral`. */
  readonly materialized: MaterializationName | 'ephemeral';
  /** The template as written. */
  readonly rawSql: string;
  readonly columns: readonly ColumnDoc[];
}

/** An SCD type 2 snapshot (`snapshots/**.sql` with `{% snapshot name %}`). */
export interface SnapshotNode extends NodeBase {
  readonly kind: 'snapshot';
  readonly config: SnapshotConfig;
  readonly rawSql: string;
  readonly columns: readonly ColumnDoc[];
}

/** A seed: a CSV file under `seed-paths`, loaded into a table of its name (dbt's `seed`). */
export interface SeedNode extends NodeBase {
  readonly kind: 'seed';
  readonly config: SeedConfig;
  /** Columns as the property files document them (the CSV's header gives the table's columns). */
  readonly columns: readonly ColumnDoc[];
}

/** How old a source's newest row may be (dbt's `freshness:` block). */
export interface FreshnessThreshold {
  readonly count: number;
  readonly period: 'minute' | 'hour' | 'day';
}

/** A source table's freshness rule: warn or fail when `max(loaded_at_field)` is older than a threshold. */
export interface FreshnessRule {
  readonly warnAfter?: FreshnessThreshold;
  readonly errorAfter?: FreshnessThreshold;
  /** A SQL condition the rows checked must meet (`filter:`). */
  readonly filter?: string;
}

/** A source table declared in a property file (`sources:`). */
export interface SourceNode extends NodeBase {
  readonly kind: 'source';
  readonly sourceName: string;
  /** The schema the table lives in (`schema:` of the source; default the source's name). */
  readonly schema: string;
  /** The table's name in the warehouse (`identifier:`; default its name). */
  readonly identifier: string;
  readonly columns: readonly ColumnDoc[];
  readonly loadedAtField?: string;
  /** dbt's `freshness:`, the table's over its source's; `null` when switched off, absent when never set. */
  readonly freshness?: FreshnessRule | null;
}

/** Rows a unit test gives or expects: dict/csv rows (values as written; csv values as text), or a SQL query. */
export interface UnitTestRows {
  readonly format: 'dict' | 'csv' | 'sql';
  /** dict and csv: one record per row; a column a row leaves out is null. */
  readonly rows?: readonly Readonly<Record<string, unknown>>[];
  /** sql: a query giving every column. */
  readonly sql?: string;
}

/** One `given:` entry of a unit test: what stands in for a ref, a source or (`input: this`) the model itself. */
export interface UnitTestInput extends UnitTestRows {
  /** As written: `ref('x')`, `source('s', 't')` or `this`. */
  readonly input: string;
  /** The node id it stands for; `this` for the model under test's own relation (incremental models). */
  readonly node: string;
}

/** A dbt 1.8 unit test (`unit_tests:` in a property file): a model run on given rows, compared with expected rows. */
export interface UnitTestSpec {
  /** The id of the model under test. */
  readonly model: string;
  readonly given: readonly UnitTestInput[];
  readonly expect: UnitTestRows;
  readonly overrides: {
    readonly macros: Readonly<Record<string, unknown>>;
    readonly vars: Readonly<Record<string, unknown>>;
    readonly envVars: Readonly<Record<string, string>>;
  };
  readonly meta: Readonly<Record<string, unknown>>;
}

/**
 * A data test: generic (declared in a property file) or singular (`tests/*.sql`); or a unit test (`testType`
 * `unit`, id `unit_test.<project>.<model>.<name>`, `unit` set), which checks a model's logic on given rows.
 */
export interface TestNode extends NodeBase {
  readonly kind: 'test';
  readonly testType: 'generic' | 'singular' | 'unit';
  /** Unit tests: what is given, expected and overridden. */
  readonly unit?: UnitTestSpec;
  /** Generic tests: the test's name (`not_null`, or a custom test `test_<name>` macro's `<name>`). */
  readonly testName?: string;
  /** Whether the generic test is built in (else it is a project macro). */
  readonly builtin?: boolean;
  /** The package whose `{% test %}` macro defines the test (`dbt_utils`); absent for the root project's and built-ins. */
  readonly testPackage?: string;
  /** The node the test is declared on (generic tests), which its result gates in `build`. */
  readonly attachedTo?: string;
  readonly columnName?: string;
  /** `quote: true` on the column: the name is quoted by the target's dialect when the test is compiled. */
  readonly quoteColumn?: boolean;
  /** The test's arguments as written (`ref('x')` strings are resolved when compiled). */
  readonly args: Readonly<Record<string, unknown>>;
  /**
   * Generic tests whose dbt name is 64 characters or more: dbt's short name (30 characters and an md5), the name of
   * the compiled file and of the table failures are stored in.
   */
  readonly alias?: string;
  readonly config: TestConfig;
  /** Singular tests: the template as written. */
  readonly rawSql?: string;
}

/** Any node of the graph. */
export type ProjectNode = ModelNode | SeedNode | SnapshotNode | SourceNode | TestNode;

/** A package of the project. */
export interface ProjectPackageInfo {
  readonly name: string;
  /** Its folder, relative to the project (`dbt_packages/dbt_utils`). */
  readonly root: string;
  readonly origin: 'local' | 'installed';
}

/** A loaded project: every node, the graph, and what was found wrong. Produced by `loadProject`. */
export interface Project {
  readonly name: string;
  /** Absolute path of the project folder. */
  readonly dir: string;
  /** `sluice.yml` or `dbt_project.yml`. */
  readonly configFile: string;
  /** Nodes by unique id, in a stable order (by kind, then file, then name). */
  readonly nodes: ReadonlyMap<string, ProjectNode>;
  /** Unique id → ids it depends on / ids that depend on it. */
  readonly parents: ReadonlyMap<string, readonly string[]>;
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** The values `var()` sees (sluice.yml `vars`, overridden by `loadProject`'s `vars`). */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Macro name → file that defines it (the root project's; packages' macros are reached as `package.name`). */
  readonly macros: ReadonlyMap<string, string>;
  /** The packages loaded: `local:` entries of packages.yml and what `dbt deps` installed in dbt_packages/. */
  readonly packages: readonly ProjectPackageInfo[];
  /** Warnings found while loading (errors are returned by `loadProject` and block a run). */
  readonly warnings: readonly ProjectIssue[];
  /** Errors found while loading; a project with errors can be listed and compiled but not run. */
  readonly errors: readonly ProjectIssue[];
  /** The `{% docs %}` blocks of the project's `.md` files, by name (what `doc()` in descriptions renders). */
  readonly docs?: ReadonlyMap<
    string,
    { readonly name: string; readonly file: string; readonly line: number; readonly text: string }
  >;
  /** dbt_project.yml's `on-run-start` and `on-run-end` statements, in order (the root project's). */
  readonly runHooks?: readonly ProjectRunHook[];
}

/** One statement of dbt_project.yml's `on-run-start` / `on-run-end` (a template, rendered when the run starts or ends). */
export interface ProjectRunHook {
  readonly event: 'on-run-start' | 'on-run-end';
  /** Its place in the list (dbt's `operation.<project>.<project>-on-run-start-<index>`). */
  readonly index: number;
  readonly sql: string;
  readonly file: string;
  readonly line?: number;
}

/** Nodes of one kind, in the project's order. */
export function nodesOfKind<K extends NodeKind>(project: Project, kind: K): Extract<ProjectNode, { kind: K }>[] {
  const out: Extract<ProjectNode, { kind: K }>[] = [];
  for (const node of project.nodes.values())
    if (node.kind === kind) out.push(node as Extract<ProjectNode, { kind: K }>);
  return out;
}

/** A node's resource type as dbt names it: its kind, except `unit_test` for a unit test. */
export function resourceTypeOf(node: ProjectNode): NodeKind | 'unit_test' {
  return node.kind === 'test' && node.testType === 'unit' ? 'unit_test' : node.kind;
}
