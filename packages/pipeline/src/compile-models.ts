import path from 'node:path';
import {
  collectCatalog,
  compileProject,
  compileProjectWithWarehouse,
  deferredRelations,
  formatIssue,
  type LastResults,
  ModelsError,
  readState,
  readLastResults,
  selectNodes,
  writeArtifacts,
  type Catalog,
  type CompileResult,
  type Project,
  type ProjectNode,
} from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { loadModels, modelTarget, type StateFlags } from './build-models.js';
import { targetDialect } from './open-project.js';
import { ConfigError, type LoadedProject, type TargetConfig } from './project-config.js';

export interface CompileModelsOptions {
  readonly project: LoadedProject;
  /** `--state DIR` (`state:` selectors) and `--defer` / `--favor-state` (refs to unselected nodes, with a warehouse). */
  readonly state?: StateFlags;
  readonly target: { readonly name: string; readonly config: TargetConfig };
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  /**
   * An open warehouse, when there is one: incremental models whose table exists render with `is_incremental()`
   * true (as the next run would), and the lineage page gets the columns of what is built. Without it,
   * `is_incremental()` is false everywhere and nothing is queried.
   */
  readonly warehouse?: Warehouse;
  /** Write `target/` (manifest, compiled SQL; with `docs`, catalog and lineage page); default true. */
  readonly write?: boolean;
  /**
   * `docs generate`: also write `target/catalog.json` and the lineage page `target/docs/index.html` (and read the
   * catalog from the warehouse). Without it (dbt's `compile`) neither is written and no catalog is read.
   */
  readonly docs?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** `--vars`: values for `var()` over the project's. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /**
   * The model project when the caller has already loaded it for this target, env and vars (the CLI's preflight):
   * not read again (10,000 models take about 0.4 s to load).
   */
  readonly models?: Project;
}

export interface CompileModelsResult {
  readonly models: Project;
  /** The selected nodes in dependency order (sources left out). */
  readonly selected: readonly ProjectNode[];
  readonly compiled: CompileResult;
  readonly catalog: Catalog | undefined;
  /** Files written under `target/`. */
  readonly artifacts: readonly string[];
  /** `target/docs/index.html` (written only with `docs`). */
  readonly lineagePage: string;
  /** With `docs`: the results the page's test marks come from (target/run_results.json of the last run), if any. */
  readonly lastResults?: LastResults;
  /** With `docs`: why target/run_results.json was not used although it exists (unreadable, not a run_results file). */
  readonly resultsWarning?: string;
}

/**
 * Render the selected models, snapshots and tests to SQL without running them (dbt's `compile` / `docs generate`)
 * and write `target/manifest.json` and `target/compiled/…`; with `docs`, also `target/catalog.json` and the lineage
 * page `target/docs/index.html`. A model that
 * fails to render is a `ConfigError` naming the file and line, a wrong selector a `ModelsError` `INVALID_SELECTOR`;
 * nothing is written then.
 *
 * @example const { compiled, lineagePage } = await compileModels({ project, target: resolveTarget(project) });
 */
export async function compileModels(options: CompileModelsOptions): Promise<CompileModelsResult> {
  const { project } = options;
  const models = options.models ?? (await loadModels(project, options.env, options.vars, modelTarget(options.target)));
  const state = options.state ? await readState(models, options.state.dir) : undefined;
  const selection = selectNodes(models, {
    ...(options.select ? { select: options.select } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(state ? { state } : {}),
  });
  const selectorErrors = selection.issues.filter((issue) => issue.severity === 'error');
  if (selectorErrors.length > 0) {
    throw new ModelsError('INVALID_SELECTOR', selectorErrors.map((issue) => issue.message).join(' '));
  }
  const selected = selection.nodes.filter((node) => node.kind !== 'source');
  const target = modelTarget(options.target, project.threads?.[options.target.name]);
  const dialect = options.warehouse?.dialect ?? targetDialect(options.target.config);
  const ids = selected.map((node) => node.id);
  const deferred =
    state && options.state?.defer
      ? await deferredRelations({
          project: models,
          state: state.manifest,
          running: new Set(ids),
          target,
          dialect,
          // Without a warehouse nothing of this target is known to exist: every node the state knows is deferred.
          exists: async (relation) =>
            (await options.warehouse?.describeRelation(relation).catch(() => undefined)) !== undefined,
          ...(options.state.favorState ? { favorState: true } : {}),
        })
      : undefined;
  const base = { target, dialect, nodes: ids, ...(deferred ? { deferred } : {}) };
  let compiled: CompileResult;
  if (options.warehouse) {
    // What the templates ask the warehouse (run_query, get_columns_in_relation) is asked, as dbt's compile does.
    const warehouse = options.warehouse;
    compiled = await compileProjectWithWarehouse(models, warehouse, base);
    // Render incremental models whose table exists as the next run would: with is_incremental() true.
    const existing = new Set<string>();
    for (const node of selected) {
      const relation = compiled.nodes.get(node.id)?.relation;
      if (node.kind !== 'model' || node.materialized !== 'incremental' || !relation) continue;
      if (await warehouse.describeTable(relation).catch(() => undefined)) existing.add(node.id);
    }
    if (existing.size > 0)
      compiled = await compileProjectWithWarehouse(models, warehouse, {
        ...base,
        isIncremental: (node) => existing.has(node.id),
      });
  } else {
    compiled = compileProject(models, base);
  }
  if (compiled.errors.length > 0) {
    throw new ConfigError(
      compiled.errors.map((issue) => ({
        file: issue.file ?? project.file,
        line: issue.line,
        path: '',
        message: formatIssue(issue),
      })),
    );
  }
  const catalog =
    options.warehouse && options.docs
      ? await collectCatalog(models, options.warehouse, target).catch(() => undefined)
      : undefined;
  const targetDir = path.join(project.dir, 'target');
  // The page keeps the marks of the last build (dbt's docs generate leaves run_results.json where it is, and so do we).
  const last = options.docs === true && options.write !== false ? await readLastResults(targetDir) : {};
  const artifacts =
    options.write === false
      ? []
      : await writeArtifacts(targetDir, {
          project: models,
          target,
          compiled,
          ...(catalog ? { catalog } : {}),
          ...(last.results ? { lastResults: last.results } : {}),
          lineagePage: options.docs === true,
          catalogFile: options.docs === true,
        });
  return {
    models,
    selected,
    compiled,
    catalog,
    artifacts,
    lineagePage: path.join(targetDir, 'docs', 'index.html'),
    ...(last.results ? { lastResults: last.results } : {}),
    ...(last.warning ? { resultsWarning: last.warning } : {}),
  };
}
