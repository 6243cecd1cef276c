import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { renderConfigTree } from '../config-template.js';
import type { ConfigKind } from '../node-config.js';
import type { DispatchConfig } from '../macro-registry.js';
import { readFolderConfigTree, type FolderConfigLayer } from '../project-config.js';
import type { ProjectIssue } from '../project-issue.js';
import { parseYamlSource, type YamlSource } from '../yaml-source.js';
import { FolderConfigs } from './folder-configs.js';
import { atLine, type LoadContext } from './load-context.js';
import { projectRenderOptions, type FolderTree, type ProjectSettings } from './read-project-settings.js';

/*
 * Packages, as dbt has them after `dbt deps`: every project under `dbt_packages/` (dbt's `packages-install-path`),
 * and the `local:` entries of `packages.yml` / `dependencies.yml` read where they are. Sluice downloads nothing:
 * a hub, git or tarball package that is not installed is an error saying to run `dbt deps`.
 */

/** A package of the project: its name and folders, and the settings its own nodes are loaded with. */
export interface ProjectPackage {
  readonly name: string;
  /** The package's folder, relative to the project (`dbt_packages/dbt_utils`, `../shared`), with `/`. */
  readonly root: string;
  /** How it got here: a `local:` entry, or installed under `dbt_packages/`. */
  readonly origin: 'local' | 'installed';
  /** The settings the package's models, macros and tests are loaded with (paths relative to the project). */
  readonly settings: ProjectSettings;
}

/** What the packages phase found. */
export interface ProjectPackages {
  readonly packages: readonly ProjectPackage[];
  /** The root project's `dispatch:` search orders. */
  readonly dispatch: readonly DispatchConfig[];
  /** The root project's folder-config keys that name packages (`models: dbt_utils: …`), not folders. */
  readonly packageNames: ReadonlySet<string>;
}

const PACKAGE_FILES = ['packages.yml', 'dependencies.yml'];

/** Keys of a package's dbt_project.yml whose meaning Sluice does not carry out for packages (a warning each). */
const UNSUPPORTED_PACKAGE_KEYS = [
  'on-run-start',
  'on-run-end',
  'seeds',
  'seed-paths',
  'sources',
  'exposures',
  'metrics',
  'semantic-models',
  'saved-queries',
  'unit_tests',
];

interface Declared {
  readonly kind: 'local' | 'hub' | 'git' | 'tarball' | 'private';
  readonly spec: string;
  readonly file: string;
  readonly line?: number;
  /** Names the installed project may have (`dbt-labs/dbt_utils` → dbt_utils). */
  readonly guesses: readonly string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function nameGuesses(spec: string, subdirectory: unknown): string[] {
  const base = (s: string): string =>
    s
      .replace(/\.git$/, '')
      .replace(/\/+$/, '')
      .split(/[/:]/)
      .at(-1) ?? s;
  const guesses = [base(spec)];
  if (typeof subdirectory === 'string' && subdirectory !== '') guesses.push(base(subdirectory));
  return [...new Set(guesses.flatMap((g) => [g, g.replaceAll('-', '_'), g.replace(/^dbt[-_]/, '')]))];
}

/** `packages:` of packages.yml / dependencies.yml. */
async function readDeclared(ctx: LoadContext, dir: string, relDir: string): Promise<Declared[]> {
  const declared: Declared[] = [];
  const found: string[] = [];
  for (const name of PACKAGE_FILES) {
    let text: string;
    try {
      text = await readFile(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const file = relDir === '' ? name : `${relDir}/${name}`;
    const { source, issues } = parseYamlSource(text, file);
    ctx.issues.push(...issues);
    const value = source.value;
    if (value === undefined || value === null) continue;
    if (!isObject(value)) {
      ctx.issues.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: `${file} must be a mapping with packages:.`,
        file,
        line: 1,
      });
      continue;
    }
    if (value.projects !== undefined) {
      ctx.issues.push({
        code: 'UNSUPPORTED',
        severity: 'warning',
        message: `projects: (dbt Mesh dependencies between projects) in ${file} is not supported; it is ignored.`,
        file,
        ...atLine(source.lineOf(['projects'], true)),
      });
    }
    const list = value.packages;
    if (list === undefined || list === null) continue;
    found.push(file);
    if (!Array.isArray(list)) {
      ctx.issues.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: `packages: in ${file} must be a list.`,
        file,
        ...atLine(source.lineOf(['packages'], true)),
      });
      continue;
    }
    list.forEach((entry, i) => {
      const line = source.lineOf(['packages', i]);
      const at = { file, ...atLine(line) };
      if (!isObject(entry)) {
        ctx.issues.push({
          code: 'INVALID_VALUE',
          severity: 'error',
          message: `packages[${i}] in ${file} must be a mapping (local:, package:, git:, tarball:).`,
          ...at,
        });
        return;
      }
      if (typeof entry.local === 'string') declared.push({ kind: 'local', spec: entry.local, ...at, guesses: [] });
      else if (typeof entry.package === 'string')
        declared.push({ kind: 'hub', spec: entry.package, ...at, guesses: nameGuesses(entry.package, undefined) });
      else if (typeof entry.git === 'string')
        declared.push({ kind: 'git', spec: entry.git, ...at, guesses: nameGuesses(entry.git, entry.subdirectory) });
      else if (typeof entry.tarball === 'string') {
        declared.push({
          kind: 'tarball',
          spec: entry.tarball,
          ...at,
          guesses: typeof entry.name === 'string' ? [entry.name] : nameGuesses(entry.tarball, undefined),
        });
      } else if (typeof entry.private === 'string')
        declared.push({
          kind: 'private',
          spec: entry.private,
          ...at,
          guesses: nameGuesses(entry.private, entry.subdirectory),
        });
      else {
        ctx.issues.push({
          code: 'INVALID_VALUE',
          severity: 'error',
          message: `packages[${i}] in ${file} names no package: write local:, package:, git: or tarball:.`,
          ...at,
        });
      }
    });
  }
  if (found.length > 1) {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `packages are declared in both ${found.join(' and ')}: keep one (dbt reads only one of them).`,
      file: found[1] as string,
    });
  }
  return declared;
}

/**
 * A package's dbt_project.yml rendered as the root project's is (`env_var()`, `var()`, dbt's filters; hooks and
 * `vars:` as written). A value this renderer cannot render (`target.type`, `{% if %}`) is kept as written with a
 * warning naming the file, key and line — it is not run as dbt would run it.
 */
function renderPackageProject(
  ctx: LoadContext,
  raw: Record<string, unknown>,
  rootSettings: ProjectSettings,
  where: { readonly file: string; readonly lineOf: (keyPath: readonly (string | number)[]) => number | undefined },
): Record<string, unknown> {
  const rendered = renderConfigTree(
    raw,
    { env: ctx.env, vars: rootSettings.vars, secrets: ctx.secrets },
    projectRenderOptions(ctx, rootSettings.vars, where.file),
  );
  for (const problem of rendered.problems)
    ctx.issues.push({
      code: 'UNSUPPORTED',
      severity: 'warning',
      message: `${problem.path.join('.')}: ${problem.message}; this value of a package's dbt_project.yml is used as written.`,
      file: where.file,
      ...atLine(where.lineOf(problem.path)),
    });
  return rendered.value as Record<string, unknown>;
}

/** A package's own dbt_project.yml, read into the settings its nodes are loaded with. */
function packageSettings(
  ctx: LoadContext,
  root: string,
  text: string,
  rootSettings: ProjectSettings,
): ProjectSettings | undefined {
  const configFile = root === '' ? 'dbt_project.yml' : `${root}/dbt_project.yml`;
  const { source, issues } = parseYamlSource(text, configFile);
  ctx.issues.push(...issues);
  const raw = renderPackageProject(ctx, isObject(source.value) ? source.value : {}, rootSettings, {
    file: configFile,
    lineOf: (keyPath) => source.lineOf(keyPath),
  });
  for (const key of UNSUPPORTED_PACKAGE_KEYS) {
    if (raw[key] === undefined) continue;
    ctx.issues.push({
      code: 'UNSUPPORTED',
      severity: 'warning',
      message: `"${key}" in ${configFile} (a package) is not supported yet; it is ignored.`,
      file: configFile,
      ...atLine(source.lineOf([key], true)),
    });
  }
  const name = raw.name;
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `${configFile} needs a "name" (letters, digits and underscores).`,
      file: configFile,
      line: 1,
    });
    return undefined;
  }
  const folder = (key: string, fallback: string): string[] => {
    const value = raw[key];
    const list = Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : [fallback];
    return list.map((p) => (root === '' ? p : `${root}/${p.replace(/\/+$/, '')}`));
  };
  const rootRaw = isObject(rootSettings.configYaml.value) ? rootSettings.configYaml.value : {};
  const tree = (key: 'models' | 'seeds' | 'snapshots' | 'data_tests', kind: ConfigKind): FolderTree => {
    const layers: FolderConfigLayer[] = [];
    const own = key === 'data_tests' ? (raw.data_tests ?? raw.tests) : raw[key];
    if (isObject(own))
      layers.push(
        ...folderLayers(ctx, kind, own, name, source, [
          key === 'data_tests' && raw.data_tests === undefined ? 'tests' : key,
        ]),
      );
    // The root project configures a package under its name: `models: { dbt_utils: { +schema: utils } }`.
    const rootKey = key === 'data_tests' && rootRaw.data_tests === undefined ? 'tests' : key;
    const fromRoot = isObject(rootRaw[rootKey]) ? (rootRaw[rootKey] as Record<string, unknown>)[name] : undefined;
    if (isObject(fromRoot))
      layers.push(...folderLayers(ctx, kind, fromRoot, undefined, rootSettings.configYaml, [rootKey, name]));
    return { configs: new FolderConfigs(layers), folders: [] };
  };
  // The package's vars, under the root project's block for the package (dbt's scoping), then the caller's.
  const ownVars = isObject(raw.vars) ? raw.vars : {};
  const { [name]: ownScoped, ...ownGlobal } = ownVars;
  const rootVars = isObject(rootRaw.vars) ? rootRaw.vars : {};
  const rootScoped = isObject(rootVars[name]) ? (rootVars[name] as Record<string, unknown>) : {};
  const vars = { ...ownGlobal, ...(isObject(ownScoped) ? ownScoped : {}), ...rootScoped, ...rootSettings.vars };
  const models = folder('model-paths', 'models');
  const seeds = folder('seed-paths', 'seeds');
  const snapshots = folder('snapshot-paths', 'snapshots');
  const tests = folder('test-paths', 'tests');
  const macros = folder('macro-paths', 'macros');
  // A package's analyses are not compiled (nor reported: they are not the user's to fix); its docs blocks are read
  // from every resource folder, as dbt does.
  const paths = {
    models,
    seeds,
    snapshots,
    tests,
    macros,
    docs: [...new Set([...models, ...seeds, ...snapshots, ...tests, ...macros])],
    analyses: [],
  };
  return {
    configFile,
    configYaml: source,
    // A package's on-run-start / on-run-end are not run (a warning, UNSUPPORTED_PACKAGE_KEYS).
    runHooks: [],
    projectName: name,
    paths,
    vars,
    folders: {
      models: tree('models', 'model'),
      seeds: tree('seeds', 'seed'),
      snapshots: tree('snapshots', 'snapshot'),
      tests: tree('data_tests', 'test'),
    },
  };
}

function folderLayers(
  ctx: LoadContext,
  kind: ConfigKind,
  value: Record<string, unknown>,
  projectName: string | undefined,
  source: YamlSource,
  yamlPath: readonly string[],
) {
  const result = readFolderConfigTree(kind, value, {
    ...(projectName === undefined ? {} : { projectName }),
    file: source.file,
    yamlPath,
    lineOf: source.lineOf,
  });
  ctx.issues.push(...result.issues);
  return result.layers;
}

/** The root project's `dispatch:` list. */
function readDispatch(ctx: LoadContext, settings: ProjectSettings): DispatchConfig[] {
  const raw = isObject(settings.configYaml.value) ? settings.configYaml.value.dispatch : undefined;
  if (raw === undefined || raw === null) return [];
  const file = settings.configFile;
  const problem = (message: string, yamlPath: (string | number)[]): void => {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message,
      file,
      ...atLine(settings.configYaml.lineOf(yamlPath)),
    });
  };
  if (!Array.isArray(raw)) {
    problem('"dispatch" must be a list of { macro_namespace, search_order }.', ['dispatch']);
    return [];
  }
  const out: DispatchConfig[] = [];
  raw.forEach((entry, i) => {
    const ok =
      isObject(entry) &&
      typeof entry.macro_namespace === 'string' &&
      Array.isArray(entry.search_order) &&
      entry.search_order.every((s) => typeof s === 'string');
    if (!ok) {
      problem(`dispatch[${i}] needs macro_namespace (a package name) and search_order (a list of package names).`, [
        'dispatch',
        i,
      ]);
      return;
    }
    out.push({ macroNamespace: entry.macro_namespace as string, searchOrder: entry.search_order as string[] });
  });
  return out;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Phase 2b: the packages — `local:` entries of packages.yml / dependencies.yml (and theirs, recursively) and every
 * project installed under `dbt_packages/` — each read from its dbt_project.yml; the root project's `dispatch:`.
 * A hub, git or tarball entry with no installed project is an error saying to run `dbt deps`.
 */
export async function readPackages(ctx: LoadContext, settings: ProjectSettings): Promise<ProjectPackages> {
  const dispatch = readDispatch(ctx, settings);
  const packages: ProjectPackage[] = [];
  const byName = new Map<string, ProjectPackage>();
  const add = async (
    root: string,
    origin: ProjectPackage['origin'],
    declaredAt?: { file: string; line?: number },
  ): Promise<ProjectPackage | undefined> => {
    const abs = path.resolve(ctx.projectDir, root);
    let text: string;
    try {
      text = await readFile(path.join(abs, 'dbt_project.yml'), 'utf8');
    } catch {
      ctx.issues.push({
        code: origin === 'local' ? 'INVALID_VALUE' : 'UNSUPPORTED',
        severity: origin === 'local' ? 'error' : 'warning',
        message:
          origin === 'local'
            ? `local package ${root} has no dbt_project.yml (resolved to ${abs}).`
            : `${root} holds no dbt_project.yml: not a package; it is ignored.`,
        ...(declaredAt ?? { file: root }),
      });
      return undefined;
    }
    const pkgSettings = packageSettings(ctx, root, text, settings);
    if (pkgSettings === undefined) return undefined;
    const name = pkgSettings.projectName;
    if (name === settings.projectName) {
      ctx.issues.push({
        code: 'DUPLICATE_NAME',
        severity: 'error',
        message: `package ${root} is named ${name}, like the project itself; rename one.`,
        ...(declaredAt ?? { file: `${root}/dbt_project.yml`, line: 1 }),
      });
      return undefined;
    }
    const previous = byName.get(name);
    if (previous !== undefined) {
      // `dbt deps` links local packages into dbt_packages/: the same package twice is one package.
      if (path.resolve(ctx.projectDir, previous.root) !== abs && !(await sameTarget(ctx, previous.root, root))) {
        ctx.issues.push({
          code: 'DUPLICATE_NAME',
          severity: 'error',
          message: `two packages are named ${name}: ${previous.root} and ${root}.`,
          file: `${root}/dbt_project.yml`,
          line: 1,
        });
      }
      return previous;
    }
    const pkg: ProjectPackage = { name, root, origin, settings: pkgSettings };
    await warnAboutSeeds(ctx, pkg);
    packages.push(pkg);
    byName.set(name, pkg);
    return pkg;
  };

  // Local packages, and the local packages they declare, relative to each.
  const declared = await readDeclared(ctx, ctx.projectDir, '');
  const visitLocal = async (entries: readonly Declared[], baseRoot: string): Promise<void> => {
    for (const d of entries) {
      if (d.kind !== 'local') continue;
      const root = toPosix(path.normalize(baseRoot === '' ? d.spec : `${baseRoot}/${d.spec}`)).replace(/\/+$/, '');
      const known = packages.some((p) => p.root === root);
      const pkg = await add(root, 'local', { file: d.file, ...atLine(d.line) });
      if (pkg !== undefined && !known)
        await visitLocal(await readDeclared(ctx, path.resolve(ctx.projectDir, root), root), root);
    }
  };
  await visitLocal(declared, '');

  // Everything `dbt deps` installed.
  const raw = isObject(settings.configYaml.value) ? settings.configYaml.value : {};
  const installPath =
    typeof raw['packages-install-path'] === 'string'
      ? (raw['packages-install-path'] as string).replace(/\/+$/, '')
      : 'dbt_packages';
  const installDir = path.resolve(ctx.projectDir, installPath);
  const installed = new Set<string>();
  if (await isDirectory(installDir)) {
    const entries = (await readdir(installDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (!entry.isDirectory() && !(entry.isSymbolicLink() && (await isDirectory(path.join(installDir, entry.name)))))
        continue;
      const pkg = await add(`${installPath}/${entry.name}`, 'installed');
      if (pkg !== undefined) installed.add(pkg.name);
    }
  }
  const missing = declared.filter((d) => d.kind !== 'local' && !d.guesses.some((g) => installed.has(g)));
  const unclaimed = [...installed].filter((name) => !declared.some((d) => d.guesses.includes(name)));
  // dbt compares counts; a package installed under a name no guess matches (a git repository named unlike its
  // project) takes the place of one declared entry.
  for (const d of missing.slice(unclaimed.length)) {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `package ${d.spec} (${d.kind}) is declared but not installed in ${installPath}/: run \`dbt deps\` to install it (Sluice reads installed packages and downloads none).`,
      file: d.file,
      ...atLine(d.line),
    } satisfies ProjectIssue);
  }
  return { packages, dispatch, packageNames: new Set(packages.map((p) => p.name)) };
}

/** A package's seeds (CSV files under `seeds/`) are not loaded yet: say so rather than leave them out silently. */
async function warnAboutSeeds(ctx: LoadContext, pkg: ProjectPackage): Promise<void> {
  const dir = path.resolve(ctx.projectDir, pkg.root, 'seeds');
  if (!(await isDirectory(dir))) return;
  const csv = (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.csv'));
  if (csv.length === 0) return;
  ctx.issues.push({
    code: 'UNSUPPORTED',
    severity: 'warning',
    message: `package ${pkg.name} has ${csv.length} seed file(s) in ${pkg.root}/seeds: packages' seeds are not loaded yet; a ref() to one fails.`,
    file: `${pkg.root}/dbt_project.yml`,
  });
}

async function sameTarget(ctx: LoadContext, a: string, b: string): Promise<boolean> {
  try {
    return (await realpath(path.resolve(ctx.projectDir, a))) === (await realpath(path.resolve(ctx.projectDir, b)));
  } catch {
    return false;
  }
}
