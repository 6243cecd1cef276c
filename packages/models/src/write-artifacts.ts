import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from './collect-catalog.js';
import { compiledPathOf, type CompileResult, type TargetConfig } from './compile-project.js';
import { renderLineagePage } from './lineage-page.js';
import { redactSecrets } from './project-internals.js';
import type { Project, ProjectNode } from './project.js';
import type { RunResult } from './run-project.js';

/** What to write: the project always; compiled SQL, the last run and the warehouse catalog when known. */
export interface ArtifactInputs {
  readonly project: Project;
  readonly target?: TargetConfig;
  readonly compiled?: CompileResult;
  readonly run?: RunResult;
  readonly catalog?: Catalog;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

function manifestNode(project: Project, node: ProjectNode): Record<string, unknown> {
  const common = {
    unique_id: node.id,
    resource_type: node.kind,
    name: node.name,
    fqn: node.fqn,
    original_file_path: node.file,
    ...(node.line === undefined ? {} : { line: node.line }),
    description: node.description,
    tags: node.tags,
    depends_on: { nodes: node.dependsOn },
  };
  switch (node.kind) {
    case 'source':
      return {
        ...common,
        source_name: node.sourceName,
        schema: node.schema,
        identifier: node.identifier,
        columns: node.columns,
        ...(node.loadedAtField ? { loaded_at_field: node.loadedAtField } : {}),
      };
    case 'seed':
      return { ...common, config: node.config, columns: node.columns };
    case 'model':
    case 'snapshot':
      return {
        ...common,
        config: node.config,
        columns: node.columns,
        raw_code: node.rawSql,
        compiled_path: compiledPathOf(project, node),
      };
    case 'test':
      return {
        ...common,
        config: node.config,
        test_type: node.testType,
        ...(node.testType === 'generic'
          ? {
              test_metadata: {
                name: node.testName,
                kwargs: node.args,
                column_name: node.columnName ?? null,
                builtin: node.builtin,
              },
              attached_node: node.attachedTo,
            }
          : { raw_code: node.rawSql }),
        compiled_path: compiledPathOf(project, node),
      };
  }
}

/**
 * Write the artifacts of a project under `targetDir` (the CLI's `target/`): `manifest.json` (nodes, dependencies,
 * config, compiled SQL paths), `run_results.json` (when a run is given), `compiled/<project>/…` (the SQL of every
 * compiled or run node, secrets redacted) and `docs/index.html` (the lineage page). Returns the files written.
 *
 * @example await writeArtifacts('sql-models/target', { project, run: result });
 */
export async function writeArtifacts(targetDir: string, inputs: ArtifactInputs): Promise<string[]> {
  const { project } = inputs;
  const written: string[] = [];
  const write = async (relative: string, text: string): Promise<void> => {
    const file = path.join(targetDir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  };
  const compiledSql = new Map<string, { path: string; sql: string }>();
  for (const node of inputs.compiled?.nodes.values() ?? [])
    compiledSql.set(node.id, { path: node.compiledPath, sql: redactSecrets(project, node.sql) });
  for (const result of inputs.run?.results ?? []) {
    if (result.compiledSql !== undefined && result.compiledPath !== undefined)
      compiledSql.set(result.id, { path: result.compiledPath, sql: result.compiledSql });
  }
  for (const { path: relative, sql } of compiledSql.values()) await write(relative, `${sql}\n`);

  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const node of project.nodes.values())
    (node.kind === 'source' ? sources : nodes)[node.id] = manifestNode(project, node);
  const parentMap: Record<string, readonly string[]> = {};
  const childMap: Record<string, readonly string[]> = {};
  for (const [id, list] of project.parents) parentMap[id] = list;
  for (const [id, list] of project.children) childMap[id] = list;
  const generatedAt = new Date().toISOString();
  await write(
    'manifest.json',
    json({
      metadata: {
        generator: '@sluice/models',
        generated_at: generatedAt,
        project_name: project.name,
        project_file: project.configFile,
        ...(inputs.target === undefined
          ? {}
          : { target: { name: inputs.target.name, type: inputs.target.type, schema: inputs.target.schema } }),
      },
      nodes,
      sources,
      macros: Object.fromEntries(project.macros),
      parent_map: parentMap,
      child_map: childMap,
    }),
  );
  if (inputs.run) {
    const run = inputs.run;
    await write(
      'run_results.json',
      json({
        metadata: { generator: '@sluice/models', generated_at: generatedAt, project_name: project.name },
        status: run.status,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        elapsed_time: run.elapsedMs / 1000,
        args: { ...run.args, target: run.target.name },
        counts: run.counts,
        results: run.results.map((r) => ({
          unique_id: r.id,
          name: r.name,
          resource_type: r.kind,
          status: r.status,
          message: r.message,
          timing: { started_at: r.startedAt ?? null, elapsed_ms: r.elapsedMs },
          execution_time: r.elapsedMs / 1000,
          rows_affected: r.rowsAffected ?? null,
          relation: r.relation ?? null,
          materialized: r.materialized ?? null,
          compiled_path: r.compiledPath ?? null,
          ...(r.kind === 'test'
            ? {
                severity: r.severity ?? null,
                failures: r.failures ?? null,
                samples: r.samples ?? [],
                stored_in: r.storedIn ?? null,
              }
            : {}),
          ...(r.errorCode === undefined ? {} : { error_code: r.errorCode }),
          // Not built (not run) by a change-aware run: `status` is dbt's closest — `success` for a model, seed or
          // snapshot, a test's last result — and `reused` says why.
          ...(r.reused === undefined ? {} : { reused: r.reused }),
        })),
      }),
    );
  }
  await write(
    'docs/index.html',
    renderLineagePage(project, {
      ...(inputs.run === undefined ? {} : { run: inputs.run }),
      ...(inputs.compiled === undefined ? {} : { compiled: inputs.compiled }),
      ...(inputs.catalog === undefined ? {} : { catalog: inputs.catalog }),
    }),
  );
  return written;
}
