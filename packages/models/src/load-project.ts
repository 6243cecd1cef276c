import path from 'node:path';
import { buildProjectGraph } from './load-phases/build-project-graph.js';
import { checkFolderReferences } from './load-phases/check-folder-references.js';
import { collectDocs, type DocsBlock } from './load-phases/collect-docs.js';
import { collectMacros } from './load-phases/collect-macros.js';
import { collectProperties } from './load-phases/collect-properties.js';
import { collectRelationalNodes } from './load-phases/collect-relational-nodes.js';
import { collectTests } from './load-phases/collect-tests.js';
import { createLoadContext, type LoadContext } from './load-phases/load-context.js';
import { readProjectFiles } from './load-phases/read-project-files.js';
import { readProjectFile, readProjectSettings } from './load-phases/read-project-settings.js';
import { ReferenceResolver } from './load-phases/reference-resolver.js';
import { TemplateParser } from './load-phases/template-parser.js';
import { setProjectInternals } from './project-internals.js';
import type { ProjectIssue } from './project-issue.js';
import type { Project, ProjectNode } from './project.js';

/** Options of `loadProject`. */
export interface LoadProjectOptions {
  /** Values for `var()`, over the project's `vars` (the CLI's `--vars`). */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** Values for `var()` under the project's `vars` (defaults a caller provides, e.g. the ingestion's `raw_schema`). */
  readonly defaultVars?: Readonly<Record<string, unknown>>;
  /** The environment `env_var()` reads (default `process.env`). Values read are never printed. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Top-level sluice.yml keys owned by other parts, left alone (default: the ingestion keys). */
  readonly otherConfigKeys?: readonly string[];
}

/** What `loadProject` returns: the project (always, for listing) and every problem found. */
export interface LoadProjectResult {
  readonly project: Project;
  /** Every error; the project must not be run while any remain. */
  readonly errors: readonly ProjectIssue[];
  readonly warnings: readonly ProjectIssue[];
}

/**
 * Load a project folder: `sluice.yml` (or `dbt_project.yml`), models, property files, snapshots, singular tests
 * and macros. Every problem is collected — unknown refs and sources with their file, line and the closest names,
 * cycles with their path, misspelled config keys with the closest valid key — before anything runs.
 *
 * The work is a sequence of phases over one `LoadContext` (in `load-phases/`), each adding the issues it finds in
 * order: project file → settings → files → macros → property files → models and snapshots → refs and sources →
 * tests → folder names → graph.
 *
 * @example
 * const { project, errors } = await loadProject('sql-models');
 * if (errors.length > 0) for (const e of errors) console.error(formatIssue(e));
 */
export async function loadProject(dir: string, options: LoadProjectOptions = {}): Promise<LoadProjectResult> {
  const ctx = createLoadContext(path.resolve(dir), options.env ?? process.env);
  const projectFile = await readProjectFile(ctx);
  if (projectFile === undefined) {
    return finish(ctx, { name: '', configFile: '', vars: {}, macros: new Map(), nodes: [], dependencies: new Map() });
  }
  const settings = readProjectSettings(ctx, projectFile, options);
  const { projectName, paths } = settings;
  const files = await readProjectFiles(ctx, settings);
  const docs = collectDocs(ctx, projectName, files.docFiles);
  const parser = new TemplateParser(ctx, settings.vars, settings.configFile);
  const macros = collectMacros(ctx, parser, projectName, files.macroFiles);
  const properties = collectProperties(ctx, parser, projectName, files.propertyFiles, docs.describe);
  const relational = collectRelationalNodes(ctx, parser, settings, files, properties);
  const resolver = new ReferenceResolver(ctx, projectName, relational, properties.sources);
  for (const p of relational.pending) resolver.resolveAll(p.id, p.record, p.file, p.text);
  const tests = collectTests(ctx, parser, settings, resolver, relational, {
    singularFiles: files.singularFiles,
    propertyFiles: files.propertyFiles,
    declarations: properties.tests,
    macros,
  });
  const { models, snapshots, seeds } = settings.folders;
  checkFolderReferences(ctx, settings, seeds.folders, {
    dirs: files.dirsUnder(paths.seeds),
    nodeNames: (relational.seeds ?? []).map((s) => s.name),
    under: paths.seeds.join(', '),
  });
  checkFolderReferences(ctx, settings, models.folders, {
    dirs: files.dirsUnder(paths.models),
    nodeNames: relational.models.map((m) => m.name),
    under: paths.models.join(', '),
  });
  checkFolderReferences(ctx, settings, snapshots.folders, {
    dirs: files.dirsUnder(paths.snapshots),
    nodeNames: relational.snapshots.map((s) => s.name),
    under: paths.snapshots.join(', '),
  });
  checkFolderReferences(ctx, settings, settings.folders.tests.folders, {
    dirs: new Set([...files.dirsUnder(paths.tests), ...files.dirsUnder(paths.models)]),
    nodeNames: [],
    under: 'tests',
  });
  return finish(ctx, {
    name: projectName,
    configFile: settings.configFile,
    vars: settings.vars,
    macros,
    nodes: [
      ...properties.sources,
      ...(relational.seeds ?? []),
      ...relational.models,
      ...relational.snapshots,
      ...tests,
    ],
    dependencies: resolver.dependencies,
    docs: docs.blocks,
  });
}

/** The last phase: the graph (and its cycles), then the project and its issues split into errors and warnings. */
function finish(
  ctx: LoadContext,
  parts: {
    readonly name: string;
    readonly configFile: string;
    readonly vars: Readonly<Record<string, unknown>>;
    readonly macros: ReadonlyMap<string, string>;
    readonly nodes: readonly ProjectNode[];
    readonly dependencies: ReadonlyMap<string, readonly string[]>;
    readonly docs?: ReadonlyMap<string, DocsBlock>;
  },
): LoadProjectResult {
  const graph = buildProjectGraph(ctx, parts.nodes, parts.dependencies);
  const errors = ctx.issues.filter((i) => i.severity === 'error');
  const warnings = ctx.issues.filter((i) => i.severity === 'warning');
  const project: Project = {
    name: parts.name,
    dir: ctx.projectDir,
    configFile: parts.configFile,
    ...graph,
    vars: parts.vars,
    macros: parts.macros,
    warnings,
    errors,
    ...(parts.docs === undefined ? {} : { docs: parts.docs }),
  };
  const { engine, templates, secrets, env } = ctx;
  setProjectInternals(project, { engine, templates, secrets, env });
  return { project, errors, warnings };
}
