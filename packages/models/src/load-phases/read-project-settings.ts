import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { closestNames } from '@sluice/warehouse';
import type { ProjectRunHook } from '../project.js';
import type { ConfigKind } from '../node-config.js';
import {
  INGESTION_CONFIG_KEYS,
  MODELS_CONFIG_KEYS,
  modelsProjectConfigSchema,
  readFolderConfigTree,
  type FolderReference,
} from '../project-config.js';
import { renderConfigTree } from '../config-template.js';
import { didYouMean } from '../project-issue.js';
import { parseYamlSource, type YamlSource } from '../yaml-source.js';
import { FolderConfigs } from './folder-configs.js';
import { atLine, type LoadContext } from './load-context.js';
import { TemplateParser } from './template-parser.js';

const SLUICE_FILES = ['sluice.yml', 'sluice.yaml'];
const DBT_FILE = 'dbt_project.yml';

/**
 * dbt_project.yml keys Sluice reads outside MODELS_CONFIG_KEYS, and where: `on-run-start` / `on-run-end` (readRunHooks
 * below), `tests` (dbt's old name of `data_tests`, below), `profile` (the pipeline's project-config.ts picks the
 * profiles.yml entry), `packages-install-path` (read-packages.ts), `clean-targets` (the CLI's `sluice clean`).
 */
const DBT_HONOURED_KEYS = ['on-run-start', 'on-run-end', 'tests', 'profile', 'packages-install-path', 'clean-targets'];

/** dbt_project.yml keys that are accepted and ignored (they have no meaning here). */
const DBT_IGNORED_KEYS = [
  'version',
  'config-version',
  'target-path',
  'log-path',
  'require-dbt-version',
  'asset-paths',
  'flags',
  'query-comment',
  'dbt-cloud',
  'restrict-access',
];
const DBT_UNSUPPORTED_KEYS = [
  'quoting',
  'exposures',
  'metrics',
  'semantic-models',
  'saved-queries',
  'sources',
  'unit_tests',
];

/**
 * The settings of the model project that may be written in either file, and how a value in both is merged:
 * scalars and folder lists must be equal, a folder-config tree may be written in one file only, `vars` merge by
 * name (one name with two values is a conflict).
 */
const SHARED_SCALAR_KEYS = [
  'name',
  'model-paths',
  'seed-paths',
  'snapshot-paths',
  'test-paths',
  'macro-paths',
  'docs-paths',
  'analysis-paths',
] as const;
const SHARED_TREE_KEYS = ['models', 'seeds', 'snapshots', 'data_tests'] as const;

/** A project file as found: its name (`sluice.yml`, `sluice.yaml`, `dbt_project.yml`) and its text. */
export interface ProjectFile {
  readonly file: string;
  readonly text: string;
}

/** A folder-config tree (`models:`, `seeds:`, `snapshots:`, `data_tests:`): the resolved layers and the folders it names. */
export interface FolderTree {
  readonly configs: FolderConfigs;
  readonly folders: readonly FolderReference[];
}

/** The settings of the project files. */
export interface ProjectSettings {
  /** The file that defines the model project: `dbt_project.yml` when there is one, else `sluice.yml`. */
  readonly configFile: string;
  readonly configYaml: YamlSource;
  readonly projectName: string;
  readonly paths: {
    readonly models: readonly string[];
    readonly seeds: readonly string[];
    readonly snapshots: readonly string[];
    readonly tests: readonly string[];
    readonly macros: readonly string[];
    /** Where `{% docs %}` blocks are looked for (default: every resource folder). */
    readonly docs: readonly string[];
    readonly analyses: readonly string[];
  };
  /** The values `var()` sees. */
  readonly vars: Readonly<Record<string, unknown>>;
  readonly folders: {
    readonly models: FolderTree;
    readonly seeds: FolderTree;
    readonly snapshots: FolderTree;
    readonly tests: FolderTree;
  };
  /** dbt_project.yml's `on-run-start` / `on-run-end` statements, as written. */
  readonly runHooks: readonly ProjectRunHook[];
}

/** What the settings phase takes from `loadProject`'s options. */
export interface SettingsOptions {
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly defaultVars?: Readonly<Record<string, unknown>>;
  readonly otherConfigKeys?: readonly string[];
}

/** The sluice.yml key a problem is about, with its line. */
type KeyLocator = (key: string) => { file: string; line?: number };

/** One project file, parsed and checked. */
interface ParsedProjectFile {
  readonly file: string;
  readonly isDbt: boolean;
  readonly yaml: YamlSource;
  readonly raw: Record<string, unknown>;
  readonly at: KeyLocator;
}

/**
 * Phase 1: the project files — `sluice.yml` (or `sluice.yaml`) and `dbt_project.yml`, each when present — or
 * NO_PROJECT_FILE when there is neither.
 */
export async function readProjectFile(ctx: LoadContext): Promise<ProjectFile[] | undefined> {
  const found: ProjectFile[] = [];
  for (const candidate of SLUICE_FILES) {
    const text = await readFile(path.join(ctx.projectDir, candidate), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      found.push({ file: candidate, text });
      break;
    }
  }
  const dbt = await readFile(path.join(ctx.projectDir, DBT_FILE), 'utf8').catch(() => undefined);
  if (dbt !== undefined) found.push({ file: DBT_FILE, text: dbt });
  if (found.length > 0) return found;
  ctx.issues.push({
    code: 'NO_PROJECT_FILE',
    severity: 'error',
    message: `${ctx.projectDir} has no sluice.yml (or dbt_project.yml): this folder is not a project.`,
  });
  return undefined;
}

/**
 * Phase 2: the project files' settings — their keys checked (a misspelling is an error in sluice.yml, a warning in
 * dbt_project.yml), dbt_project.yml's `{{ env_var() }}` / `{{ var() }}` values rendered, both files merged (a
 * setting given two different values is CONFLICTING_SETTING, naming both files), then the name, the resource
 * folders, `vars` (dbt's project-scoped block, then the caller's) and the folder-config trees.
 */
export function readProjectSettings(
  ctx: LoadContext,
  projectFiles: ProjectFile | readonly ProjectFile[],
  options: SettingsOptions,
): ProjectSettings {
  const list = Array.isArray(projectFiles) ? (projectFiles as readonly ProjectFile[]) : [projectFiles as ProjectFile];
  const parsed = list.map((f) => parseProjectFile(ctx, f, options));
  const dbt = parsed.find((p) => p.isDbt);
  const sluice = parsed.find((p) => !p.isDbt);
  const primary = (dbt ?? sluice) as ParsedProjectFile;
  // Each shared setting: the file it comes from (conflicts reported once, the dbt project's value kept).
  const pick = (key: string): ParsedProjectFile | undefined => {
    const inDbt = dbt !== undefined && dbt.raw[key] !== undefined;
    const inSluice = sluice !== undefined && sluice.raw[key] !== undefined;
    if (inDbt && inSluice && !sameValue(dbt.raw[key], sluice.raw[key]))
      conflict(ctx, key, dbt, sluice, (SHARED_TREE_KEYS as readonly string[]).includes(key));
    return inDbt ? dbt : inSluice ? sluice : undefined;
  };
  const from: Record<string, ParsedProjectFile | undefined> = {};
  for (const key of [...SHARED_SCALAR_KEYS, ...SHARED_TREE_KEYS]) from[key] = pick(key);
  const nameFile = from.name ?? primary;
  const projectName = readProjectName(ctx, nameFile.raw, nameFile.file, nameFile.at);
  const readPathsOf = (key: PathKey, fallback: readonly string[]): string[] => {
    const owner = from[key];
    return owner === undefined ? [...fallback] : readPaths(ctx, owner.raw, key, fallback, owner.at);
  };
  const models = readPathsOf('model-paths', ['models']);
  const seeds = readPathsOf('seed-paths', ['seeds']);
  const snapshots = readPathsOf('snapshot-paths', ['snapshots']);
  const tests = readPathsOf('test-paths', ['tests']);
  const macros = readPathsOf('macro-paths', ['macros']);
  const analyses = readPathsOf('analysis-paths', ['analyses']);
  const docs = readPathsOf('docs-paths', [
    ...new Set([...models, ...seeds, ...snapshots, ...tests, ...macros, ...analyses]),
  ]);
  // The dbt project's vars first: a conflict is reported at sluice.yml's line, as every other conflict.
  const dbtFirst = [...parsed].sort((a, b) => Number(b.isDbt) - Number(a.isDbt));
  const vars = { ...options.defaultVars, ...mergeVars(ctx, dbtFirst, projectName, options.vars ?? {}) };
  const tree = (key: 'models' | 'seeds' | 'snapshots' | 'data_tests', kind: ConfigKind): FolderTree => {
    const owner = from[key];
    if (owner === undefined) return { configs: new FolderConfigs([]), folders: [] };
    return readFolderTree(ctx, owner.raw[key], key, kind, { projectName, configYaml: owner.yaml, at: owner.at });
  };
  return {
    configFile: primary.file,
    configYaml: primary.yaml,
    runHooks: dbt === undefined ? [] : readRunHooks(ctx, dbt),
    projectName,
    paths: { models, seeds, snapshots, tests, macros, docs, analyses },
    vars,
    folders: {
      models: tree('models', 'model'),
      seeds: tree('seeds', 'seed'),
      snapshots: tree('snapshots', 'snapshot'),
      tests: tree('data_tests', 'test'),
    },
  };
}

/** `on-run-start:` / `on-run-end:` — one statement or a list of them (dbt's two spellings). */
function readRunHooks(ctx: LoadContext, file: ParsedProjectFile): ProjectRunHook[] {
  const hooks: ProjectRunHook[] = [];
  for (const event of ['on-run-start', 'on-run-end'] as const) {
    const value = file.raw[event];
    if (value === undefined || value === null) continue;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((sql, index) => {
      const line = file.yaml.lineOf(Array.isArray(value) ? [event, index] : [event]);
      if (typeof sql !== 'string') {
        ctx.issues.push({
          code: 'INVALID_VALUE',
          severity: 'error',
          message: `${event} holds SQL statements (text); got ${JSON.stringify(sql)}.`,
          file: file.file,
          ...atLine(line),
        });
        return;
      }
      hooks.push({ event, index, sql, file: file.file, ...atLine(line) });
    });
  }
  return hooks;
}

type PathKey = (typeof SHARED_SCALAR_KEYS)[number] & `${string}-paths`;

/** Parse one project file, render dbt_project.yml's Jinja values, check its top-level keys. */
function parseProjectFile(ctx: LoadContext, projectFile: ProjectFile, options: SettingsOptions): ParsedProjectFile {
  const configFile = projectFile.file;
  const isDbt = configFile === DBT_FILE;
  const parsed = parseYamlSource(projectFile.text, configFile);
  ctx.issues.push(...parsed.issues);
  const yaml = parsed.source;
  let raw: Record<string, unknown> = isObject(yaml.value) ? { ...yaml.value } : {};
  if (yaml.value !== undefined && !isObject(yaml.value)) {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `${configFile} must be a mapping of keys.`,
      file: configFile,
      line: 1,
    });
  }
  const at: KeyLocator = (key) => ({ file: configFile, ...atLine(yaml.lineOf([key], true)) });
  if (isDbt) {
    // dbt renders dbt_project.yml with env_var(), the command line's vars and the target; hooks and vars stay as
    // written.
    const rendered = renderConfigTree(
      raw,
      { env: ctx.env, vars: options.vars ?? {}, secrets: ctx.secrets },
      projectRenderOptions(ctx, options.vars ?? {}, configFile),
    );
    raw = rendered.value as Record<string, unknown>;
    for (const problem of rendered.problems) {
      ctx.issues.push({
        code: 'TEMPLATE_ERROR',
        severity: 'error',
        message: `${problem.path.join('.')}: ${problem.message}.`,
        file: configFile,
        ...atLine(yaml.lineOf(problem.path)),
      });
    }
    if (raw.tests !== undefined && raw.data_tests === undefined) raw.data_tests = raw.tests;
  }
  checkTopLevelKeys(ctx, raw, isDbt ? 'dbt' : (options.otherConfigKeys ?? INGESTION_CONFIG_KEYS), configFile, at);
  return { file: configFile, isDbt, yaml, raw, at };
}

/**
 * How dbt_project.yml files are rendered: hooks and `vars:` left as written; what the configuration renderer refuses
 * (`target.name`, `{% if %}`) rendered by the full engine when the target is known (a command that compiles).
 */
export function projectRenderOptions(
  ctx: LoadContext,
  vars: Readonly<Record<string, unknown>>,
  file: string,
): Parameters<typeof renderConfigTree>[2] {
  const skip = (keyPath: readonly (string | number)[]) =>
    keyPath[0] === 'vars' || keyPath.some((k) => typeof k === 'string' && HOOK_KEYS.has(k));
  if (ctx.target === undefined) return { skip };
  const parser = new TemplateParser(ctx, vars, file);
  return { skip, fallback: (text) => parser.renderProjectValue(text, file) };
}

/** Keys whose values are templates run later (hooks): dbt_project.yml's rendering leaves them as written. */
export const HOOK_KEYS = new Set([
  'on-run-start',
  'on-run-end',
  '+pre-hook',
  '+post-hook',
  'pre-hook',
  'post-hook',
  '+pre_hook',
  '+post_hook',
  'pre_hook',
  'post_hook',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One setting written differently in both files: an error naming both files, keys and lines. */
function conflict(
  ctx: LoadContext,
  key: string,
  dbt: ParsedProjectFile,
  sluice: ParsedProjectFile,
  tree: boolean,
): void {
  const dbtAt = dbt.at(key);
  const sluiceAt = sluice.at(key);
  const place = (p: { file: string; line?: number }) => `${p.file}${p.line === undefined ? '' : `:${p.line}`}`;
  ctx.issues.push({
    code: 'CONFLICTING_SETTING',
    severity: 'error',
    message: tree
      ? `"${key}:" is written in both ${place(dbtAt)} and ${place(sluiceAt)}: a folder-config tree lives in one file. Move its entries into ${dbt.file} (the model project's settings) and remove it from ${sluice.file}.`
      : `"${key}" is ${JSON.stringify(dbt.raw[key])} in ${place(dbtAt)} but ${JSON.stringify(sluice.raw[key])} in ${place(sluiceAt)}: remove it from ${sluice.file} (the dbt project's value is the model project's) or make them equal.`,
    ...sluiceAt,
  });
}

/**
 * Every top-level key must be one this package owns, or (sluice.yml) one of `otherKeys`; dbt_project.yml keys of
 * dbt alone are ignored, unsupported ones are warnings.
 */
function checkTopLevelKeys(
  ctx: LoadContext,
  rawConfig: Record<string, unknown>,
  otherKeys: readonly string[] | 'dbt',
  configFile: string,
  at: KeyLocator,
): void {
  for (const key of Object.keys(rawConfig)) {
    if (MODELS_CONFIG_KEYS.includes(key)) continue;
    if (otherKeys === 'dbt') {
      if (DBT_HONOURED_KEYS.includes(key) || DBT_IGNORED_KEYS.includes(key)) continue;
      if (DBT_UNSUPPORTED_KEYS.includes(key)) {
        ctx.issues.push({
          code: 'UNSUPPORTED',
          severity: 'warning',
          message: `"${key}" in dbt_project.yml is not supported yet; it is ignored.`,
          ...at(key),
        });
        continue;
      }
      const suggestions = closestNames(key, [...MODELS_CONFIG_KEYS, ...DBT_HONOURED_KEYS, ...DBT_IGNORED_KEYS]);
      ctx.issues.push({
        code: 'UNKNOWN_KEY',
        severity: 'warning',
        message: `"${key}" in dbt_project.yml is not a key Sluice knows; it is ignored.${didYouMean(suggestions)}`,
        ...at(key),
        suggestions,
      });
      continue;
    }
    if (otherKeys.includes(key)) continue;
    const known = [...MODELS_CONFIG_KEYS, ...otherKeys];
    const suggestions = closestNames(key, known);
    ctx.issues.push({
      code: 'UNKNOWN_KEY',
      severity: 'error',
      message: `"${key}" is not a ${configFile} key.${didYouMean(suggestions)}${suggestions.length === 0 ? ` Keys: ${known.join(', ')}.` : ''}`,
      ...at(key),
      suggestions,
    });
  }
}

function readProjectName(
  ctx: LoadContext,
  rawConfig: Record<string, unknown>,
  configFile: string,
  at: KeyLocator,
): string {
  const result = modelsProjectConfigSchema.shape.name.safeParse(rawConfig.name);
  if (result.success) return result.data;
  ctx.issues.push({
    code: 'INVALID_VALUE',
    severity: 'error',
    message:
      rawConfig.name === undefined
        ? `${configFile} needs a "name" (letters, digits and underscores), e.g. name: novadrive.`
        : `"name": ${result.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(rawConfig.name)}).`,
    ...at('name'),
  });
  return 'project';
}

function readPaths(
  ctx: LoadContext,
  rawConfig: Record<string, unknown>,
  key: PathKey,
  fallback: readonly string[],
  at: KeyLocator,
): string[] {
  if (rawConfig[key] === undefined) return [...fallback];
  const result = modelsProjectConfigSchema.shape[key].safeParse(rawConfig[key]);
  if (result.success && result.data) return result.data.map((p) => p.replace(/\/+$/, ''));
  ctx.issues.push({
    code: 'INVALID_VALUE',
    severity: 'error',
    message: `"${key}" must be a list of folders, e.g. ["${fallback[0] ?? 'models'}"].`,
    ...at(key),
  });
  return [...fallback];
}

/**
 * `vars`: each file's (with dbt's project-scoped block), merged by name — one name with two different values is
 * CONFLICTING_SETTING — then the ingestion's raw schema, then the caller's (`--vars`), which win.
 */
function mergeVars(
  ctx: LoadContext,
  files: readonly ParsedProjectFile[],
  projectName: string,
  callerVars: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  const owner = new Map<string, ParsedProjectFile>();
  for (const f of files) {
    const raw = f.raw.vars;
    if (raw === undefined || raw === null) continue;
    if (!isObject(raw)) {
      ctx.issues.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: '"vars" must be a mapping of names to values.',
        ...f.at('vars'),
      });
      continue;
    }
    const { [projectName]: scoped, ...rest } = raw;
    const own = { ...rest, ...(isObject(scoped) ? scoped : scoped === undefined ? {} : { [projectName]: scoped }) };
    for (const [name, value] of Object.entries(own)) {
      const previous = owner.get(name);
      if (previous !== undefined && !sameValue(vars[name], value)) {
        const line = (p: ParsedProjectFile) =>
          p.yaml.lineOf(['vars', name], true) ?? p.yaml.lineOf(['vars', projectName, name], true);
        const a = line(previous);
        const b = line(f);
        ctx.issues.push({
          code: 'CONFLICTING_SETTING',
          severity: 'error',
          message: `var "${name}" is ${JSON.stringify(vars[name])} in ${previous.file}${a === undefined ? '' : `:${a}`} but ${JSON.stringify(value)} in ${f.file}${b === undefined ? '' : `:${b}`}: keep it in one file (remove it from ${f.file}, or make them equal).`,
          file: f.file,
          ...atLine(b),
        });
        continue;
      }
      owner.set(name, f);
      vars[name] = value;
    }
  }
  // The ingestion's raw schema is where sources live: templates read it as var('raw_schema').
  const rawSchema = files.find((f) => !f.isDbt)?.raw.raw_schema;
  if (typeof rawSchema === 'string' && !('raw_schema' in vars)) vars.raw_schema = rawSchema;
  return { ...vars, ...callerVars };
}

function readFolderTree(
  ctx: LoadContext,
  value: unknown,
  key: 'models' | 'seeds' | 'snapshots' | 'data_tests',
  kind: ConfigKind,
  where: { readonly projectName: string; readonly configYaml: YamlSource; readonly at: KeyLocator },
): FolderTree {
  if (value === undefined || value === null) return { configs: new FolderConfigs([]), folders: [] };
  if (!isObject(value)) {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `"${key}" must be a mapping of folders and +configs.`,
      ...where.at(key),
    });
    return { configs: new FolderConfigs([]), folders: [] };
  }
  const result = readFolderConfigTree(kind, value, {
    projectName: where.projectName,
    file: where.configYaml.file,
    yamlPath: [key],
    lineOf: where.configYaml.lineOf,
  });
  ctx.issues.push(...result.issues);
  return { configs: new FolderConfigs(result.layers), folders: result.folders };
}
