import path from 'node:path';
import { buildProjectGraph } from './load-phases/build-project-graph.js';
import { checkFolderReferences } from './load-phases/check-folder-references.js';
import { collectDocs, type DocsBlock } from './load-phases/collect-docs.js';
import { collectMacros } from './load-phases/collect-macros.js';
import { collectProperties } from './load-phases/collect-properties.js';
import { collectRelationalNodes } from './load-phases/collect-relational-nodes.js';
import { collectTests } from './load-phases/collect-tests.js';
import { collectUnitTests } from './load-phases/collect-unit-tests.js';
import { createLoadContext, type LoadContext } from './load-phases/load-context.js';
import type { RelationalNodes } from './load-phases/collect-relational-nodes.js';
import { readPackages } from './load-phases/read-packages.js';
import { readProjectFiles } from './load-phases/read-project-files.js';
import { readProjectFile, readProjectSettings } from './load-phases/read-project-settings.js';
import { ReferenceResolver } from './load-phases/reference-resolver.js';
import { TemplateParser } from './load-phases/template-parser.js';
import type { ParseTarget } from './parse-hooks.js';
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
  /**
   * The target the project will be compiled for, when known: parse-time renders see it as `target`, so
   * `adapter.dispatch` picks the implementation compile will (without it, `default__` and else any adapter's).
   */
  readonly target?: ParseTarget;
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
  const ctx = createLoadContext(path.resolve(dir), options.env ?? process.env, options.target);
  const projectFile = await readProjectFile(ctx);
  if (projectFile === undefined) {
    return finish(ctx, {
      name: '',
      configFile: '',
      vars: {},
      macros: new Map(),
      nodes: [],
      dependencies: new Map(),
      packageVars: new Map(),
      packages: [],
    });
  }
  const settings = readProjectSettings(ctx, projectFile, options);
  const { projectName, paths } = settings;
  const { packages, dispatch, packageNames } = await readPackages(ctx, settings);
  ctx.engine.configureProject(projectName, dispatch);
  const files = await readProjectFiles(ctx, settings);
  const docs = collectDocs(ctx, projectName, files.docFiles);
  const parser = new TemplateParser(ctx, settings.vars, settings.configFile);
  const units = await Promise.all(
    packages.map(async (pkg) => ({
      pkg,
      files: await readProjectFiles(ctx, pkg.settings),
      parser: new TemplateParser(ctx, pkg.settings.vars, pkg.settings.configFile),
    })),
  );
  // Every macro before any node renders: models call package macros, and packages call each other's.
  for (const u of units) collectMacros(ctx, u.parser, u.pkg.name, u.files.macroFiles, u.pkg.name);
  const macros = collectMacros(ctx, parser, projectName, files.macroFiles);
  const properties = collectProperties(ctx, parser, projectName, files.propertyFiles, docs.describe);
  const relational = collectRelationalNodes(ctx, parser, settings, files, properties);
  const packageNodes = units.map((u) => {
    const props = collectProperties(ctx, u.parser, u.pkg.name, u.files.propertyFiles, docs.describe);
    return { ...u, props, relational: collectRelationalNodes(ctx, u.parser, u.pkg.settings, u.files, props) };
  });
  const merged = mergeRelationalNodes(
    ctx,
    relational,
    packageNodes.map((p) => p.relational),
  );
  const allSources = [...properties.sources, ...packageNodes.flatMap((p) => p.props.sources)];
  const resolver = new ReferenceResolver(
    ctx,
    projectName,
    merged,
    allSources,
    new Map([[projectName, relational.names], ...packageNodes.map((p) => [p.pkg.name, p.relational.names] as const)]),
  );
  for (const p of merged.pending) resolver.resolveAll(p.id, p.record, p.file, p.text);
  const tests = collectTests(ctx, parser, settings, resolver, merged, {
    singularFiles: files.singularFiles,
    propertyFiles: files.propertyFiles,
    declarations: properties.tests,
    macros,
  });
  for (const p of packageNodes) {
    tests.push(
      ...collectTests(ctx, p.parser, p.pkg.settings, resolver, merged, {
        singularFiles: p.files.singularFiles,
        propertyFiles: p.files.propertyFiles,
        declarations: p.props.tests,
        macros: new Map(),
      }),
    );
  }
  const unit = await collectUnitTests(ctx, projectName, properties.unitTests, merged.names, allSources, paths.tests);
  const { models, snapshots, seeds } = settings.folders;
  // `models: { dbt_utils: … }` configures a package, not a folder.
  const folderRefs = (refs: typeof models.folders) =>
    refs.filter((r) => !(r.parent === '' && packageNames.has(r.name)));
  checkFolderReferences(ctx, settings, folderRefs(seeds.folders), {
    dirs: files.dirsUnder(paths.seeds),
    nodeNames: (relational.seeds ?? []).map((s) => s.name),
    under: paths.seeds.join(', '),
  });
  checkFolderReferences(ctx, settings, folderRefs(models.folders), {
    dirs: files.dirsUnder(paths.models),
    nodeNames: relational.models.map((m) => m.name),
    under: paths.models.join(', '),
  });
  checkFolderReferences(ctx, settings, folderRefs(snapshots.folders), {
    dirs: files.dirsUnder(paths.snapshots),
    nodeNames: relational.snapshots.map((s) => s.name),
    under: paths.snapshots.join(', '),
  });
  checkFolderReferences(ctx, settings, folderRefs(settings.folders.tests.folders), {
    dirs: new Set([...files.dirsUnder(paths.tests), ...files.dirsUnder(paths.models)]),
    nodeNames: [],
    under: 'tests',
  });
  return finish(ctx, {
    name: projectName,
    configFile: settings.configFile,
    vars: settings.vars,
    macros,
    nodes: [...allSources, ...(merged.seeds ?? []), ...merged.models, ...merged.snapshots, ...tests, ...unit.tests],
    dependencies: new Map([...resolver.dependencies, ...unit.dependencies]),
    docs: docs.blocks,
    packageVars: new Map(packages.map((p) => [p.name, p.settings.vars] as const)),
    packages: packages.map((p) => ({ name: p.name, root: p.root, origin: p.origin })),
    runHooks: settings.runHooks,
  });
}

/**
 * The models and snapshots of the root project and its packages as one set: what refs resolve to. A name used by
 * two of them is DUPLICATE_NAME (they would build the same table); the root project keeps it.
 */
function mergeRelationalNodes(
  ctx: LoadContext,
  root: RelationalNodes,
  packages: readonly RelationalNodes[],
): RelationalNodes {
  const names = new Map(root.names);
  const disabled = new Map(root.disabled);
  for (const pkg of packages) {
    for (const [name, found] of pkg.names) {
      const previous = names.get(name);
      if (previous !== undefined) {
        ctx.issues.push({
          code: 'DUPLICATE_NAME',
          severity: 'error',
          message: `two models or snapshots are named ${name}: ${previous.file} and ${found.file}. They would build the same table; disable one (+enabled: false) or give one an alias.`,
          file: found.file,
          line: 1,
        });
        continue;
      }
      names.set(name, found);
    }
    for (const [name, file] of pkg.disabled) if (!disabled.has(name)) disabled.set(name, file);
  }
  return {
    names,
    disabled,
    models: [...root.models, ...packages.flatMap((p) => p.models)],
    snapshots: [...root.snapshots, ...packages.flatMap((p) => p.snapshots)],
    seeds: [...(root.seeds ?? []), ...packages.flatMap((p) => p.seeds ?? [])],
    pending: [...root.pending, ...packages.flatMap((p) => p.pending)],
  };
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
    readonly packageVars: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
    readonly packages: Project['packages'];
    readonly runHooks?: Project['runHooks'];
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
    packages: parts.packages,
    warnings,
    errors,
    ...(parts.docs === undefined ? {} : { docs: parts.docs }),
    ...(parts.runHooks === undefined || parts.runHooks.length === 0 ? {} : { runHooks: parts.runHooks }),
  };
  const { engine, templates, secrets, env } = ctx;
  setProjectInternals(project, { engine, templates, secrets, env, packageVars: parts.packageVars });
  return { project, errors, warnings };
}
