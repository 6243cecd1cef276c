import { createHash } from 'node:crypto';
import type { Relation } from '@sluice/warehouse';
import type { Catalog } from './collect-catalog.js';
import { DBT_ARTIFACT_VERSION } from './dbt-version.js';
import { compiledPathOf, type CompileResult, type TargetConfig } from './compile-project.js';
import type { ColumnDoc, Project, ProjectNode, SourceNode, TestNode, UnitTestSpec } from './project.js';
import type { NodeResult, NodeStatus, RunResult } from './run-project.js';
import { macroSqlOf, nodeChecksum, nodeMacroIds, unitTestChecksum, unrenderedConfigOf } from './state-changes.js';

/**
 * dbt's artifact schemas Sluice writes (https://schemas.getdbt.com/): tools that read dbt's `target/` — dbt-docs,
 * Elementary, Recce, DataHub's dbt source — read Sluice's. Every object holds only the keys its schema lists (the
 * schemas forbid others), so what Sluice knows beyond dbt (test failure samples, stored-failure tables) stays in
 * the run record and the lineage page.
 */
export const DBT_SCHEMA_VERSIONS = {
  manifest: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
  runResults: 'https://schemas.getdbt.com/dbt/run-results/v6.json',
  catalog: 'https://schemas.getdbt.com/dbt/catalog/v1.json',
  sources: 'https://schemas.getdbt.com/dbt/sources/v3.json',
} as const;

export { DBT_ARTIFACT_VERSION } from './dbt-version.js';

/** What every artifact of one invocation shares. */
export interface ArtifactContext {
  readonly invocationId: string;
  readonly generatedAt: string;
}

/** `metadata` of run_results, catalog and sources (dbt's BaseArtifactMetadata: no other keys allowed). */
export function artifactMetadata(schema: string, context: ArtifactContext): Record<string, unknown> {
  return {
    dbt_schema_version: schema,
    dbt_version: DBT_ARTIFACT_VERSION,
    generated_at: context.generatedAt,
    invocation_id: context.invocationId,
    env: {},
  };
}

/** A relation as dbt writes `relation_name`: `"database"."schema"."name"` (DuckDB and Snowflake quote alike). */
function relationName(database: string | null, relation: Relation): string {
  const parts = database === null ? [relation.schema, relation.name] : [database, relation.schema, relation.name];
  return parts.map((part) => `"${part.replaceAll('"', '""')}"`).join('.');
}

function packageOf(project: Project, node: ProjectNode): string {
  return node.id.split('.')[1] ?? project.name;
}

/** dbt's `path`: the file relative to its resource folder (`models/`, `seeds/`, …; a package's own folder first). */
function resourcePath(project: Project, node: ProjectNode): string {
  const pkg = project.packages.find((p) => node.file.startsWith(`${p.root}/`));
  const own = pkg === undefined ? node.file : node.file.slice(pkg.root.length + 1);
  const slash = own.indexOf('/');
  return slash < 0 ? own : own.slice(slash + 1);
}

function columnsOf(columns: readonly ColumnDoc[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    out[column.name] = {
      name: column.name,
      description: column.description,
      meta: {},
      data_type: column.dataType ?? null,
      constraints: [],
      quote: column.quote ?? null,
      tags: [],
    };
  }
  return out;
}

function materializedOf(node: ProjectNode): string {
  switch (node.kind) {
    case 'model':
      return node.materialized;
    case 'seed':
      return 'seed';
    case 'snapshot':
      return 'snapshot';
    case 'test':
      return 'test';
    case 'source':
      return 'source';
  }
}

/** Where each node lives: compiled or run relations first, else the target schema and the node's alias. */
export function nodeRelations(
  project: Project,
  target: TargetConfig | undefined,
  compiled: CompileResult | undefined,
  run: RunResult | undefined,
): Map<string, Relation> {
  const relations = new Map<string, Relation>();
  for (const node of project.nodes.values()) {
    if (node.kind === 'source') relations.set(node.id, { schema: node.schema, name: node.identifier });
  }
  for (const node of compiled?.nodes.values() ?? []) if (node.relation) relations.set(node.id, node.relation);
  for (const result of run?.results ?? []) if (result.relation) relations.set(result.id, result.relation);
  for (const node of project.nodes.values()) {
    if (relations.has(node.id) || node.kind === 'source') continue;
    if (node.kind === 'model' && node.materialized === 'ephemeral') continue;
    const alias = 'alias' in node.config && typeof node.config.alias === 'string' ? node.config.alias : node.name;
    // dbt's default generate_schema_name (`<target schema>_<custom>`): what `--defer` reads for nodes a run skipped.
    const custom = 'schema' in node.config && typeof node.config.schema === 'string' ? node.config.schema : undefined;
    const base = target?.schema ?? 'main';
    relations.set(node.id, { schema: custom === undefined ? base : `${base}_${custom.trim()}`, name: alias });
  }
  return relations;
}

function sourceEntry(
  project: Project,
  node: SourceNode,
  database: string | null,
  createdAt: number,
): Record<string, unknown> {
  const relation = { schema: node.schema, name: node.identifier };
  const time = (t: { count: number; period: string } | undefined) =>
    t === undefined ? null : { count: t.count, period: t.period };
  return {
    database,
    schema: node.schema,
    name: node.name,
    resource_type: 'source',
    package_name: packageOf(project, node),
    path: node.file,
    original_file_path: node.file,
    unique_id: node.id,
    fqn: node.fqn,
    source_name: node.sourceName,
    source_description: '',
    loader: '',
    identifier: node.identifier,
    quoting: { database: null, schema: null, identifier: null, column: null },
    loaded_at_field: node.loadedAtField ?? null,
    freshness: node.freshness
      ? {
          warn_after: time(node.freshness.warnAfter),
          error_after: time(node.freshness.errorAfter),
          filter: node.freshness.filter ?? null,
        }
      : null,
    external: null,
    description: node.description,
    columns: columnsOf(node.columns),
    meta: {},
    source_meta: {},
    tags: node.tags,
    config: { enabled: true },
    patch_path: null,
    unrendered_config: {},
    relation_name: relationName(database, relation),
    created_at: createdAt,
  };
}

function nodeEntry(
  project: Project,
  node: Exclude<ProjectNode, SourceNode>,
  relation: Relation | undefined,
  database: string | null,
  compiledSql: string | undefined,
  createdAt: number,
  macros: readonly string[],
  seedHashes: ReadonlyMap<string, string> | undefined,
): Record<string, unknown> {
  const parents = node.dependsOn.map((id) => project.nodes.get(id)).filter((n) => n !== undefined);
  const entry: Record<string, unknown> = {
    database,
    schema: relation?.schema ?? '',
    name: node.name,
    resource_type: node.kind,
    package_name: packageOf(project, node),
    path: resourcePath(project, node),
    original_file_path: node.file,
    unique_id: node.id,
    fqn: node.fqn,
    alias: relation?.name ?? node.name,
    checksum: nodeChecksum(node, seedHashes),
    config: { enabled: true, ...node.config, materialized: materializedOf(node), tags: node.tags },
    tags: node.tags,
    description: node.description,
    columns: node.kind === 'test' ? {} : columnsOf(node.columns),
    meta: {},
    group: null,
    docs: { show: true, node_color: null },
    patch_path: null,
    build_path: null,
    // What `state:modified.configs` compares (dbt: the config as written, before rendering).
    unrendered_config: unrenderedConfigOf(node),
    created_at: createdAt,
    relation_name: relation === undefined ? null : relationName(database, relation),
    raw_code: node.kind === 'seed' ? '' : (node.rawSql ?? ''),
  };
  if (node.kind === 'seed') {
    entry.depends_on = { macros };
    return entry;
  }
  Object.assign(entry, {
    language: 'sql',
    refs: parents
      .filter((n) => n.kind !== 'source' && n.kind !== 'test')
      .map((n) => ({ name: n.name, package: null, version: null })),
    sources: parents.filter((n) => n.kind === 'source').map((n) => [n.sourceName, n.name]),
    metrics: [],
    depends_on: { macros, nodes: node.dependsOn },
    compiled_path: compiledPathOf(project, node),
    compiled: compiledSql !== undefined,
    ...(compiledSql === undefined ? {} : { compiled_code: compiledSql }),
    extra_ctes_injected: compiledSql !== undefined,
    extra_ctes: [],
    contract: { enforced: false, alias_types: true, checksum: null },
  });
  if (node.kind === 'model')
    Object.assign(entry, {
      access: 'protected',
      constraints: [],
      version: null,
      latest_version: null,
      deprecation_date: null,
    });
  if (node.kind === 'test' && node.testType === 'generic') {
    const attached = node.attachedTo === undefined ? undefined : project.nodes.get(node.attachedTo);
    Object.assign(entry, {
      column_name: node.columnName ?? null,
      file_key_name:
        attached === undefined
          ? null
          : `${attached.kind === 'source' ? 'sources' : `${attached.kind}s`}.${attached.name}`,
      attached_node: node.attachedTo ?? null,
      test_metadata: {
        name: node.testName ?? node.name,
        kwargs: { ...node.args, ...(node.columnName === undefined ? {} : { column_name: node.columnName }) },
        namespace: node.testPackage ?? null,
      },
    });
  }
  return entry;
}

/** A unit test in manifest v12's `unit_tests` (dbt's UnitTestDefinition fields). */
function unitTestEntry(
  project: Project,
  node: TestNode,
  spec: UnitTestSpec,
  compiledSql: string | undefined,
): Record<string, unknown> {
  const model = project.nodes.get(spec.model);
  const rowsOf = (rows: UnitTestSpec['expect']): Record<string, unknown> => ({
    format: rows.format,
    rows: rows.format === 'sql' ? (rows.sql ?? '') : (rows.rows ?? []),
    fixture: null,
  });
  return {
    model: model?.name ?? spec.model,
    given: spec.given.map((g) => ({ input: g.input, ...rowsOf(g) })),
    expect: rowsOf(spec.expect),
    name: node.name,
    resource_type: 'unit_test',
    package_name: packageOf(project, node),
    path: resourcePath(project, node),
    original_file_path: node.file,
    unique_id: node.id,
    fqn: node.fqn,
    description: node.description,
    overrides: { macros: spec.overrides.macros, vars: spec.overrides.vars, env_vars: spec.overrides.envVars },
    depends_on: { macros: [], nodes: [spec.model] },
    config: { tags: node.tags, meta: spec.meta, enabled: true },
    checksum: unitTestChecksum(spec),
    schema: null,
    created_at: 0,
    versions: null,
    version: null,
    ...(compiledSql === undefined ? {} : { compiled_code: compiledSql }),
  };
}

/** The macros of the root project, with their text read from their files (`{% macro name(…) %} … {% endmacro %}`). */
export function macroEntries(
  project: Project,
  fileText: ReadonlyMap<string, string>,
  createdAt: number,
): Record<string, unknown> {
  const macros: Record<string, unknown> = {};
  const sql = macroSqlOf(project, fileText);
  for (const [name, file] of project.macros) {
    const id = `macro.${project.name}.${name}`;
    const called = (other: string): boolean => {
      const otherName = (other.split('.').pop() as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return other !== id && new RegExp(`\\b${otherName}\\s*\\(`).test(sql.get(id) ?? '');
    };
    const calls = [...sql.keys()].filter(called);
    macros[id] = {
      name,
      resource_type: 'macro',
      package_name: project.name,
      path: file,
      original_file_path: file,
      unique_id: id,
      macro_sql: sql.get(id) ?? '',
      depends_on: { macros: calls },
      description: '',
      meta: {},
      docs: { show: true, node_color: null },
      patch_path: null,
      arguments: [],
      created_at: createdAt,
      supported_languages: null,
    };
  }
  return macros;
}

/** `manifest.json` in dbt's v12 schema. */
export function manifestArtifact(
  project: Project,
  inputs: {
    readonly target?: TargetConfig;
    readonly compiled?: CompileResult;
    readonly run?: RunResult;
    readonly compiledSql: ReadonlyMap<string, string>;
    readonly macroFiles: ReadonlyMap<string, string>;
    /** sha256 of seed CSVs up to 1 MiB, by node id (`seedHashesOf`); without one a seed's checksum is its path. */
    readonly seedHashes?: ReadonlyMap<string, string>;
  },
  context: ArtifactContext,
): Record<string, unknown> {
  const database = inputs.target?.database ?? null;
  const createdAt = Date.parse(context.generatedAt) / 1000;
  const relations = nodeRelations(project, inputs.target, inputs.compiled, inputs.run);
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const macroSql = macroSqlOf(project, inputs.macroFiles);
  const parentMap: Record<string, readonly string[]> = {};
  const childMap: Record<string, readonly string[]> = {};
  const unitTests: Record<string, unknown> = {};
  for (const node of project.nodes.values()) {
    if (node.kind === 'source') sources[node.id] = sourceEntry(project, node, database, createdAt);
    else if (node.kind === 'test' && node.unit !== undefined)
      unitTests[node.id] = unitTestEntry(project, node, node.unit, inputs.compiledSql.get(node.id));
    else
      nodes[node.id] = nodeEntry(
        project,
        node,
        relations.get(node.id),
        database,
        inputs.compiledSql.get(node.id),
        createdAt,
        nodeMacroIds(project, node, macroSql),
        inputs.seedHashes,
      );
    parentMap[node.id] = project.parents.get(node.id) ?? [];
    childMap[node.id] = project.children.get(node.id) ?? [];
  }
  const docs: Record<string, unknown> = {};
  for (const doc of project.docs?.values() ?? []) {
    const id = `doc.${project.name}.${doc.name}`;
    docs[id] = {
      name: doc.name,
      resource_type: 'doc',
      package_name: project.name,
      path: doc.file,
      original_file_path: doc.file,
      unique_id: id,
      block_contents: doc.text,
    };
  }
  return {
    metadata: {
      dbt_schema_version: DBT_SCHEMA_VERSIONS.manifest,
      dbt_version: DBT_ARTIFACT_VERSION,
      generated_at: context.generatedAt,
      invocation_id: context.invocationId,
      env: {},
      project_name: project.name,
      project_id: createHash('md5').update(project.name).digest('hex'),
      user_id: null,
      send_anonymous_usage_stats: false,
      adapter_type: inputs.target?.type ?? null,
    },
    nodes,
    sources,
    macros: macroEntries(project, inputs.macroFiles, createdAt),
    docs,
    exposures: {},
    metrics: {},
    groups: {},
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    group_map: {},
    saved_queries: {},
    semantic_models: {},
    unit_tests: unitTests,
  };
}

/** dbt's status for a node result: a cancelled node is `skipped` (dbt has no `cancelled`); its message says so. */
function dbtStatus(status: NodeStatus): string {
  return status === 'cancelled' ? 'skipped' : status;
}

function resultEntry(result: NodeResult, database: string | null): Record<string, unknown> {
  const started = result.startedAt ?? null;
  const completed = started === null ? null : new Date(Date.parse(started) + result.elapsedMs).toISOString();
  const adapterResponse: Record<string, unknown> = { _message: result.message };
  if (result.rowsAffected !== undefined) adapterResponse.rows_affected = result.rowsAffected;
  if (result.errorCode !== undefined) adapterResponse.code = result.errorCode;
  // Not built (not run) by a change-aware run: `status` is dbt's closest — `success` for a model, seed or snapshot,
  // a test's last result — `message` says `reused: <why>`, and adapter_response (free-form in dbt's schema) keeps why.
  if (result.reused !== undefined) adapterResponse.sluice_reused = result.reused;
  return {
    status: dbtStatus(result.status),
    timing: started === null ? [] : [{ name: 'execute', started_at: started, completed_at: completed }],
    thread_id: 'Thread-1',
    execution_time: result.elapsedMs / 1000,
    adapter_response: adapterResponse,
    message: result.message,
    failures: result.failures ?? null,
    unique_id: result.id,
    compiled: result.compiledSql !== undefined,
    compiled_code: result.compiledSql ?? null,
    relation_name: result.relation === undefined ? null : relationName(database, result.relation),
  };
}

/** The dbt verb a run was (`args.which` in run_results.json): by its tests mode and the kinds it built. */
function whichOf(args: RunResult['args']): string {
  if (args.runTests === 'only') return 'test';
  if (args.runTests === 'after-each-model') return 'build';
  const kinds = args.resourceTypes;
  if (kinds.length === 1 && kinds[0] === 'seed') return 'seed';
  if (kinds.length === 1 && kinds[0] === 'snapshot') return 'snapshot';
  return 'run';
}

/** `run_results.json` in dbt's v6 schema. */
export function runResultsArtifact(
  run: RunResult,
  target: TargetConfig | undefined,
  context: ArtifactContext,
): Record<string, unknown> {
  const database = target?.database ?? null;
  return {
    metadata: artifactMetadata(DBT_SCHEMA_VERSIONS.runResults, context),
    results: run.results.map((result) => resultEntry(result, database)),
    elapsed_time: run.elapsedMs / 1000,
    args: {
      which: whichOf(run.args),
      select: run.args.select,
      exclude: run.args.exclude,
      threads: run.args.threads,
      full_refresh: run.args.fullRefresh,
      resource_types: run.args.resourceTypes,
      target: run.target.name,
      invocation_command: `sluice ${whichOf(run.args)}`,
      ...(run.args.state === undefined ? {} : { state: run.args.state }),
      ...(run.args.defer ? { defer: true } : {}),
      ...(run.args.favorState ? { favor_state: true } : {}),
      ...(run.args.indirectSelection ? { indirect_selection: run.args.indirectSelection } : {}),
    },
  };
}

/** `catalog.json` in dbt's v1 schema: the columns of what exists in the warehouse, in their order. */
export function catalogArtifact(
  project: Project,
  catalog: Catalog,
  relations: ReadonlyMap<string, Relation>,
  target: TargetConfig | undefined,
  context: ArtifactContext,
): Record<string, unknown> {
  const database = target?.database ?? null;
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const [id, columns] of Object.entries(catalog)) {
    const node = project.nodes.get(id);
    const relation = relations.get(id);
    if (node === undefined || relation === undefined) continue;
    const entry = {
      metadata: {
        type: node.kind === 'model' && node.materialized === 'view' ? 'VIEW' : 'BASE TABLE',
        schema: relation.schema,
        name: relation.name,
        database,
        comment: null,
        owner: null,
      },
      columns: Object.fromEntries(
        columns.map((column, i) => [
          column.name,
          { type: column.type, index: i + 1, name: column.name, comment: null },
        ]),
      ),
      stats: {
        has_stats: {
          id: 'has_stats',
          label: 'Has Stats?',
          value: false,
          include: false,
          description: 'Indicates whether there are statistics for this table',
        },
      },
      unique_id: id,
    };
    (node.kind === 'source' ? sources : nodes)[id] = entry;
  }
  return { metadata: artifactMetadata(DBT_SCHEMA_VERSIONS.catalog, context), nodes, sources, errors: null };
}

/**
 * Nodes as `manifest.json` has them, without compiled SQL: what dbt's `ls --output json` prints (its keys filtered).
 *
 * @example manifestNodeEntries(project, [orders], target)[0]?.unique_id // 'model.shop.orders'
 */
export function manifestNodeEntries(
  project: Project,
  nodes: readonly ProjectNode[],
  target: TargetConfig | undefined,
): Record<string, unknown>[] {
  const database = target?.database ?? null;
  const relations = nodeRelations(project, target, undefined, undefined);
  // Macro files are not read here: a node's macros are those its own text names.
  const macroSql = macroSqlOf(project, new Map());
  return nodes.map((node) =>
    node.kind === 'source'
      ? sourceEntry(project, node, database, 0)
      : nodeEntry(
          project,
          node,
          relations.get(node.id),
          database,
          undefined,
          0,
          nodeMacroIds(project, node, macroSql),
          undefined,
        ),
  );
}
