import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { duckDbDialect } from '@sluice/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, type CompileResult } from './compile-project.js';
import { DBT_SCHEMA_VERSIONS } from './dbt-artifacts.js';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import type { NodeResult, RunResult } from './run-project.js';
import { freshnessArtifact } from './source-freshness.js';
import { fixture, tempDir } from './test-support/temp-project.js';
import { writeArtifacts } from './write-artifacts.js';

// The keys dbt's artifact schemas require (and, for objects the schemas close with `additionalProperties: false`,
// the only keys they allow), written from dbt's documentation of manifest v12, run results v6, catalog v1 and
// sources v3 (https://schemas.getdbt.com/, docs.getdbt.com/reference/artifacts/*). A tool with a strict parser
// (dbt-artifacts-parser, dbt's own classes) rejects an artifact with a missing or an unknown key.
type Shape = { readonly required: readonly string[]; readonly allowed?: readonly string[] };

const ARTIFACT_METADATA: Shape = {
  required: ['dbt_schema_version'],
  allowed: ['dbt_schema_version', 'dbt_version', 'generated_at', 'invocation_id', 'invocation_started_at', 'env'],
};
const MANIFEST: Shape = {
  required: [
    'metadata',
    'nodes',
    'sources',
    'macros',
    'docs',
    'exposures',
    'metrics',
    'groups',
    'selectors',
    'disabled',
    'parent_map',
    'child_map',
    'group_map',
    'saved_queries',
    'semantic_models',
    'unit_tests',
  ],
  allowed: [
    'metadata',
    'nodes',
    'sources',
    'macros',
    'docs',
    'exposures',
    'metrics',
    'groups',
    'selectors',
    'disabled',
    'parent_map',
    'child_map',
    'group_map',
    'saved_queries',
    'semantic_models',
    'unit_tests',
    'functions',
  ],
};
const MANIFEST_METADATA: Shape = {
  required: [],
  allowed: [
    ...(ARTIFACT_METADATA.allowed ?? []),
    'project_name',
    'project_id',
    'user_id',
    'send_anonymous_usage_stats',
    'adapter_type',
    'quoting',
    'run_started_at',
  ],
};
const NODE_REQUIRED = [
  'database',
  'schema',
  'name',
  'resource_type',
  'package_name',
  'path',
  'original_file_path',
  'unique_id',
  'fqn',
  'alias',
  'checksum',
];
const NODE_COMMON = [
  ...NODE_REQUIRED,
  'config',
  'tags',
  'description',
  'columns',
  'meta',
  'group',
  'docs',
  'patch_path',
  'build_path',
  'unrendered_config',
  'created_at',
  'config_call_dict',
  'unrendered_config_call_dict',
  'relation_name',
  'raw_code',
  'doc_blocks',
  'root_path',
  'depends_on',
  'defer_relation',
];
const COMPILED = [
  'language',
  'refs',
  'sources',
  'metrics',
  'functions',
  'compiled_path',
  'compiled',
  'compiled_code',
  'extra_ctes_injected',
  'extra_ctes',
  '_pre_injected_sql',
  'contract',
];
const NODE_SHAPES: Record<string, Shape> = {
  seed: { required: NODE_REQUIRED, allowed: NODE_COMMON },
  model: {
    required: NODE_REQUIRED,
    allowed: [
      ...NODE_COMMON,
      ...COMPILED,
      'access',
      'constraints',
      'version',
      'latest_version',
      'deprecation_date',
      'primary_key',
      'time_spine',
    ],
  },
  snapshot: { required: [...NODE_REQUIRED, 'config'], allowed: [...NODE_COMMON, ...COMPILED] },
  test: {
    required: NODE_REQUIRED,
    allowed: [...NODE_COMMON, ...COMPILED, 'column_name', 'file_key_name', 'attached_node', 'test_metadata'],
  },
};
const SOURCE: Shape = {
  required: [
    'database',
    'schema',
    'name',
    'resource_type',
    'package_name',
    'path',
    'original_file_path',
    'unique_id',
    'fqn',
    'source_name',
    'source_description',
    'loader',
    'identifier',
  ],
  allowed: [
    'database',
    'schema',
    'name',
    'resource_type',
    'package_name',
    'path',
    'original_file_path',
    'unique_id',
    'fqn',
    'source_name',
    'source_description',
    'loader',
    'identifier',
    'quoting',
    'loaded_at_field',
    'loaded_at_query',
    'freshness',
    'external',
    'description',
    'columns',
    'meta',
    'source_meta',
    'tags',
    'config',
    'patch_path',
    'unrendered_config',
    'relation_name',
    'created_at',
    'unrendered_database',
    'unrendered_schema',
    'doc_blocks',
  ],
};
const MACRO: Shape = {
  required: ['name', 'resource_type', 'package_name', 'path', 'original_file_path', 'unique_id', 'macro_sql'],
  allowed: [
    'name',
    'resource_type',
    'package_name',
    'path',
    'original_file_path',
    'unique_id',
    'macro_sql',
    'depends_on',
    'description',
    'meta',
    'docs',
    'config',
    'patch_path',
    'arguments',
    'created_at',
    'supported_languages',
  ],
};
const DOC: Shape = {
  required: ['name', 'resource_type', 'package_name', 'path', 'original_file_path', 'unique_id', 'block_contents'],
  allowed: ['name', 'resource_type', 'package_name', 'path', 'original_file_path', 'unique_id', 'block_contents'],
};
const FILE_HASH: Shape = { required: ['name', 'checksum'], allowed: ['name', 'checksum'] };
const DEPENDS_ON: Shape = { required: [], allowed: ['macros', 'nodes'] };
const DOCS: Shape = { required: [], allowed: ['show', 'node_color'] };
const REF: Shape = { required: ['name'], allowed: ['name', 'package', 'version'] };
const TEST_METADATA: Shape = { required: [], allowed: ['name', 'kwargs', 'namespace'] };
const COLUMN: Shape = { required: ['name'] };
const RUN_RESULTS: Shape = {
  required: ['metadata', 'results', 'elapsed_time'],
  allowed: ['metadata', 'results', 'elapsed_time', 'args'],
};
const RUN_RESULT: Shape = {
  required: [
    'status',
    'timing',
    'thread_id',
    'execution_time',
    'adapter_response',
    'message',
    'failures',
    'unique_id',
    'compiled',
    'compiled_code',
    'relation_name',
  ],
  allowed: [
    'status',
    'timing',
    'thread_id',
    'execution_time',
    'adapter_response',
    'message',
    'failures',
    'unique_id',
    'compiled',
    'compiled_code',
    'relation_name',
    'batch_results',
  ],
};
const TIMING: Shape = { required: ['name'], allowed: ['name', 'started_at', 'completed_at'] };
const RUN_STATUSES = ['success', 'error', 'skipped', 'partial success', 'pass', 'fail', 'warn', 'no-op', 'reused'];
const CATALOG: Shape = {
  required: ['metadata', 'nodes', 'sources'],
  allowed: ['metadata', 'nodes', 'sources', 'errors'],
};
const CATALOG_TABLE: Shape = {
  required: ['metadata', 'columns', 'stats'],
  allowed: ['metadata', 'columns', 'stats', 'unique_id'],
};
const TABLE_METADATA: Shape = {
  required: ['type', 'schema', 'name'],
  allowed: ['type', 'schema', 'name', 'database', 'comment', 'owner'],
};
const CATALOG_COLUMN: Shape = { required: ['type', 'index', 'name'], allowed: ['type', 'index', 'name', 'comment'] };
const STATS_ITEM: Shape = {
  required: ['id', 'label', 'value', 'include'],
  allowed: ['id', 'label', 'value', 'include', 'description'],
};
const SOURCES: Shape = {
  required: ['metadata', 'results', 'elapsed_time'],
  allowed: ['metadata', 'results', 'elapsed_time'],
};
const FRESHNESS_OUTPUT: Shape = {
  required: [
    'unique_id',
    'max_loaded_at',
    'snapshotted_at',
    'max_loaded_at_time_ago_in_s',
    'status',
    'criteria',
    'adapter_response',
    'timing',
    'thread_id',
    'execution_time',
  ],
  allowed: [
    'unique_id',
    'max_loaded_at',
    'snapshotted_at',
    'max_loaded_at_time_ago_in_s',
    'status',
    'criteria',
    'adapter_response',
    'timing',
    'thread_id',
    'execution_time',
  ],
};
const FRESHNESS_ERROR: Shape = {
  required: ['unique_id', 'error', 'status'],
  allowed: ['unique_id', 'error', 'status'],
};
const CRITERIA: Shape = { required: [], allowed: ['warn_after', 'error_after', 'filter'] };
const TIME: Shape = { required: [], allowed: ['count', 'period'] };

/** Every problem of `value` against `shape`, each named by its path in the artifact. */
function problems(value: unknown, shape: Shape, where: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: not an object`];
  const keys = Object.keys(value);
  return [
    ...shape.required.filter((key) => !keys.includes(key)).map((key) => `${where}: missing ${key}`),
    ...(shape.allowed
      ? keys.filter((key) => !shape.allowed?.includes(key)).map((key) => `${where}: unknown ${key}`)
      : []),
  ];
}

type Json = Record<string, unknown>;
const entries = (value: unknown): [string, Json][] => Object.entries((value ?? {}) as Record<string, Json>);

function manifestProblems(manifest: Json): string[] {
  const found = [...problems(manifest, MANIFEST, 'manifest')];
  found.push(...problems(manifest.metadata, MANIFEST_METADATA, 'metadata'));
  for (const [id, node] of entries(manifest.nodes)) {
    const shape = NODE_SHAPES[String(node.resource_type)];
    if (!shape) {
      found.push(`${id}: resource_type ${String(node.resource_type)}`);
      continue;
    }
    found.push(...problems(node, shape, id), ...problems(node.checksum, FILE_HASH, `${id}.checksum`));
    if (node.unique_id !== id) found.push(`${id}: unique_id ${String(node.unique_id)}`);
    if (!Array.isArray(node.fqn) || typeof node.schema !== 'string' || typeof node.alias !== 'string')
      found.push(`${id}: fqn, schema or alias of the wrong type`);
    if (node.depends_on !== undefined) found.push(...problems(node.depends_on, DEPENDS_ON, `${id}.depends_on`));
    if (node.docs !== undefined) found.push(...problems(node.docs, DOCS, `${id}.docs`));
    for (const ref of (node.refs ?? []) as unknown[]) found.push(...problems(ref, REF, `${id}.refs[]`));
    for (const [name, column] of entries(node.columns))
      found.push(...problems(column, COLUMN, `${id}.columns.${name}`));
    if (node.test_metadata !== undefined)
      found.push(...problems(node.test_metadata, TEST_METADATA, `${id}.test_metadata`));
  }
  for (const [id, source] of entries(manifest.sources)) {
    found.push(...problems(source, SOURCE, id));
    if (source.freshness) {
      const freshness = source.freshness as Json;
      found.push(...problems(freshness, CRITERIA, `${id}.freshness`));
      for (const key of ['warn_after', 'error_after'])
        if (freshness[key]) found.push(...problems(freshness[key], TIME, `${id}.freshness.${key}`));
    }
  }
  for (const [id, macro] of entries(manifest.macros)) found.push(...problems(macro, MACRO, id));
  for (const [id, doc] of entries(manifest.docs)) found.push(...problems(doc, DOC, id));
  return found;
}

describe("dbt's artifact schemas", () => {
  const target = { name: 'dev', type: 'duckdb', schema: 'analytics' };
  let dir: { path: string; remove(): Promise<void> };
  let project: Project;
  let compiled: CompileResult;
  beforeAll(async () => {
    dir = await tempDir('sluice-dbt-artifacts-');
    const loaded = await loadProject(fixture('dbt-novadrive'));
    expect(loaded.errors).toEqual([]);
    project = loaded.project;
    compiled = compileProject(project, { target, dialect: duckDbDialect });
    expect(compiled.errors).toEqual([]);
  });
  afterAll(() => dir.remove());

  const read = async (file: string): Promise<Json> =>
    JSON.parse(await readFile(path.join(dir.path, 'target', file), 'utf8')) as Json;

  it('manifest.json: manifest v12, every required key, no key the schema does not know', async () => {
    await writeArtifacts(path.join(dir.path, 'target'), { project, compiled, target, lineagePage: false });
    const manifest = await read('manifest.json');
    expect((manifest.metadata as Json).dbt_schema_version).toBe(DBT_SCHEMA_VERSIONS.manifest);
    expect(manifestProblems(manifest)).toEqual([]);
    const kinds = new Set(entries(manifest.nodes).map(([, node]) => node.resource_type));
    expect([...kinds].sort()).toEqual(['model', 'seed', 'snapshot', 'test']);
    expect(Object.keys(manifest.sources as Json).length).toBeGreaterThan(0);
    expect(Object.keys(manifest.macros as Json).length).toBeGreaterThan(0);
    expect(Object.keys(manifest.docs as Json).length).toBeGreaterThan(0);
    // What readers join on: a model's compiled SQL and refs, a test's attached node, a macro's text.
    const model = entries(manifest.nodes).find(
      ([, node]) => node.resource_type === 'model' && (node.refs as []).length > 0,
    );
    expect(model?.[1]).toMatchObject({ compiled: true, language: 'sql', checksum: { name: 'sha256' } });
    expect(typeof model?.[1].compiled_code).toBe('string');
    const generic = entries(manifest.nodes).find(([, node]) => node.test_metadata !== undefined);
    expect(project.nodes.has(String(generic?.[1].attached_node))).toBe(true);
    for (const [, macro] of entries(manifest.macros)) expect(String(macro.macro_sql)).toMatch(/^{%-?\s*macro /);
    // The lineage page is what `docs generate` writes, not `compile`.
    await expect(readFile(path.join(dir.path, 'target', 'docs', 'index.html'))).rejects.toThrow();
  });

  it('run_results.json: run results v6 with dbt statuses; catalog.json: catalog v1', async () => {
    const ids = [...compiled.nodes.keys()];
    const statuses: NodeResult['status'][] = ['success', 'pass', 'fail', 'warn', 'error', 'skipped', 'cancelled'];
    const results: NodeResult[] = ids.map((id, i) => {
      const node = project.nodes.get(id);
      const c = compiled.nodes.get(id);
      return {
        id,
        name: node?.name ?? id,
        kind: node?.kind === 'source' || node === undefined ? 'model' : node.kind,
        status: statuses[i % statuses.length] ?? 'success',
        message: 'done',
        file: node?.file ?? '',
        startedAt: '2025-01-01T00:00:00.000Z',
        elapsedMs: 12,
        ...(c?.relation ? { relation: c.relation } : {}),
        ...(c ? { compiledPath: c.compiledPath, compiledSql: c.sql } : {}),
        ...(node?.kind === 'test' ? { failures: 1, severity: 'error' as const, samples: [{ id: 1 }] } : {}),
      };
    });
    const run: RunResult = {
      status: 'error',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:01.000Z',
      elapsedMs: 1000,
      results,
      counts: { success: 0, error: 0, skipped: 0, cancelled: 0, pass: 0, warn: 0, fail: 0 },
      args: {
        select: [],
        exclude: [],
        threads: 4,
        fullRefresh: false,
        runTests: 'after-each-model',
        resourceTypes: ['seed', 'model', 'snapshot', 'test'],
      },
      target: { ...target },
    };
    const model = ids.find((id) => id.startsWith('model.')) as string;
    const source = [...project.nodes.values()].find((node) => node.kind === 'source');
    const catalog = {
      [model]: [
        { name: 'id', type: 'integer' },
        { name: 'total', type: 'decimal(12,2)' },
      ],
      ...(source ? { [source.id]: [{ name: 'id', type: 'integer' }] } : {}),
    };
    const out = path.join(dir.path, 'target');
    await writeArtifacts(out, { project, run, target, catalog, catalogFile: true, lineagePage: false });

    const runResults = await read('run_results.json');
    expect(problems(runResults, RUN_RESULTS, 'run_results')).toEqual([]);
    expect(problems(runResults.metadata, ARTIFACT_METADATA, 'metadata')).toEqual([]);
    expect((runResults.metadata as Json).dbt_schema_version).toBe(DBT_SCHEMA_VERSIONS.runResults);
    const written = runResults.results as Json[];
    expect(written).toHaveLength(results.length);
    for (const result of written) {
      expect(problems(result, RUN_RESULT, String(result.unique_id))).toEqual([]);
      expect(RUN_STATUSES).toContain(result.status);
      for (const timing of result.timing as unknown[]) expect(problems(timing, TIMING, 'timing')).toEqual([]);
    }
    const failed = written.find((r) => r.status === 'fail' && String(r.unique_id).startsWith('test.'));
    expect(failed).toMatchObject({ failures: 1, compiled: true });

    const catalogJson = await read('catalog.json');
    expect(problems(catalogJson, CATALOG, 'catalog')).toEqual([]);
    expect(problems(catalogJson.metadata, ARTIFACT_METADATA, 'metadata')).toEqual([]);
    expect((catalogJson.metadata as Json).dbt_schema_version).toBe(DBT_SCHEMA_VERSIONS.catalog);
    const tables = [...entries(catalogJson.nodes), ...entries(catalogJson.sources)];
    expect(tables.map(([id]) => id).sort()).toEqual(Object.keys(catalog).sort());
    for (const [id, table] of tables) {
      expect(problems(table, CATALOG_TABLE, id)).toEqual([]);
      expect(problems(table.metadata, TABLE_METADATA, `${id}.metadata`)).toEqual([]);
      for (const [name, column] of entries(table.columns))
        expect(problems(column, CATALOG_COLUMN, `${id}.${name}`)).toEqual([]);
      for (const [name, stat] of entries(table.stats)) expect(problems(stat, STATS_ITEM, `${id}.${name}`)).toEqual([]);
    }
    expect((catalogJson.nodes as Json)[model]).toMatchObject({
      columns: { id: { index: 1, type: 'integer' }, total: { index: 2 } },
    });
  });

  it('sources.json: sources v3, checked tables and runtime errors; tables without a rule left out', () => {
    const criteria = { warnAfter: { count: 1, period: 'day' as const } };
    const relation = { schema: 'raw', name: 'vendas' };
    const artifact = freshnessArtifact({
      status: 'warn',
      startedAt: '2025-01-01T00:00:00.000Z',
      elapsedMs: 40,
      results: [
        {
          id: 'source.p.raw.vendas',
          name: 'raw.vendas',
          status: 'warn',
          message: 'old',
          relation,
          criteria,
          maxLoadedAt: '2024-12-30T00:00:00.000Z',
          snapshottedAt: '2025-01-01T00:00:00.000Z',
          ageSeconds: 172_800,
          elapsedMs: 20,
        },
        {
          id: 'source.p.raw.gone',
          name: 'raw.gone',
          status: 'runtime error',
          message: 'no table',
          relation,
          criteria,
          elapsedMs: 5,
        },
        {
          id: 'source.p.raw.free',
          name: 'raw.free',
          status: 'skipped',
          message: 'no rule',
          relation,
          criteria: {},
          elapsedMs: 0,
        },
      ],
    });
    expect(problems(artifact, SOURCES, 'sources')).toEqual([]);
    expect(problems(artifact.metadata, ARTIFACT_METADATA, 'metadata')).toEqual([]);
    expect((artifact.metadata as Json).dbt_schema_version).toBe(DBT_SCHEMA_VERSIONS.sources);
    const [checked, failed, ...rest] = artifact.results as Json[];
    expect(rest).toEqual([]);
    expect(problems(checked, FRESHNESS_OUTPUT, 'vendas')).toEqual([]);
    expect(problems(checked?.criteria, CRITERIA, 'criteria')).toEqual([]);
    expect(problems((checked?.criteria as Json | undefined)?.warn_after, TIME, 'warn_after')).toEqual([]);
    expect(checked).toMatchObject({ status: 'warn', max_loaded_at_time_ago_in_s: 172_800 });
    expect(problems(failed, FRESHNESS_ERROR, 'gone')).toEqual([]);
    expect(failed).toMatchObject({ status: 'runtime error', error: 'no table' });
  });
});
