import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { closestNames } from '@sluice/warehouse';
import type { ConfigKind } from '../node-config.js';
import {
  INGESTION_CONFIG_KEYS,
  MODELS_CONFIG_KEYS,
  modelsProjectConfigSchema,
  readFolderConfigTree,
  type FolderReference,
} from '../project-config.js';
import { didYouMean } from '../project-issue.js';
import { parseYamlSource, type YamlSource } from '../yaml-source.js';
import { FolderConfigs } from './folder-configs.js';
import { atLine, type LoadContext } from './load-context.js';

const PROJECT_FILES = ['sluice.yml', 'sluice.yaml', 'dbt_project.yml'];

/** dbt_project.yml keys that are accepted and ignored (they have no meaning here). */
const DBT_IGNORED_KEYS = [
  'version',
  'profile',
  'config-version',
  'target-path',
  'clean-targets',
  'log-path',
  'packages-install-path',
  'require-dbt-version',
  'docs-paths',
  'asset-paths',
  'analysis-paths',
  'flags',
  'query-comment',
  'quoting',
  'dispatch',
];
const DBT_UNSUPPORTED_KEYS = [
  'on-run-start',
  'on-run-end',
  'seeds',
  'seed-paths',
  'exposures',
  'metrics',
  'semantic-models',
  'saved-queries',
  'sources',
  'unit_tests',
];

/** The project file as found: its name (`sluice.yml`, `sluice.yaml`, `dbt_project.yml`) and its text. */
export interface ProjectFile {
  readonly file: string;
  readonly text: string;
}

/** A folder-config tree (`models:`, `snapshots:`, `data_tests:`): the resolved layers and the folders it names. */
export interface FolderTree {
  readonly configs: FolderConfigs;
  readonly folders: readonly FolderReference[];
}

/** The settings of a project file. */
export interface ProjectSettings {
  readonly configFile: string;
  readonly configYaml: YamlSource;
  readonly projectName: string;
  readonly paths: {
    readonly models: readonly string[];
    readonly snapshots: readonly string[];
    readonly tests: readonly string[];
    readonly macros: readonly string[];
  };
  /** The values `var()` sees. */
  readonly vars: Readonly<Record<string, unknown>>;
  readonly folders: { readonly models: FolderTree; readonly snapshots: FolderTree; readonly tests: FolderTree };
}

/** What the settings phase takes from `loadProject`'s options. */
export interface SettingsOptions {
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly otherConfigKeys?: readonly string[];
}

/** The sluice.yml key a problem is about, with its line. */
type KeyLocator = (key: string) => { file: string; line?: number };

/** Phase 1: the project file (`sluice.yml`, `sluice.yaml` or `dbt_project.yml`), or NO_PROJECT_FILE. */
export async function readProjectFile(ctx: LoadContext): Promise<ProjectFile | undefined> {
  for (const candidate of PROJECT_FILES) {
    try {
      return { file: candidate, text: await readFile(path.join(ctx.projectDir, candidate), 'utf8') };
    } catch {
      // try the next name
    }
  }
  ctx.issues.push({
    code: 'NO_PROJECT_FILE',
    severity: 'error',
    message: `${ctx.projectDir} has no sluice.yml (or dbt_project.yml): this folder is not a project.`,
  });
  return undefined;
}

/**
 * Phase 2: the project file's settings — its keys checked (a misspelling is an error in sluice.yml, a warning in
 * dbt_project.yml), the name, the resource folders, `vars` (dbt's project-scoped block, then the caller's) and
 * the folder-config trees.
 */
export function readProjectSettings(
  ctx: LoadContext,
  projectFile: ProjectFile,
  options: SettingsOptions,
): ProjectSettings {
  const configFile = projectFile.file;
  const isDbt = configFile === 'dbt_project.yml';
  const parsed = parseYamlSource(projectFile.text, configFile);
  ctx.issues.push(...parsed.issues);
  const configYaml = parsed.source;
  const rawConfig: Record<string, unknown> = isObject(configYaml.value) ? { ...configYaml.value } : {};
  if (configYaml.value !== undefined && !isObject(configYaml.value)) {
    ctx.issues.push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `${configFile} must be a mapping of keys.`,
      file: configFile,
      line: 1,
    });
  }
  const at: KeyLocator = (key) => ({ file: configFile, ...atLine(configYaml.lineOf([key], true)) });
  if (isDbt && rawConfig.tests !== undefined && rawConfig.data_tests === undefined) {
    rawConfig.data_tests = rawConfig.tests;
  }
  checkTopLevelKeys(ctx, rawConfig, isDbt ? 'dbt' : (options.otherConfigKeys ?? INGESTION_CONFIG_KEYS), configFile, at);
  const projectName = readProjectName(ctx, rawConfig, configFile, at);
  const paths = {
    models: readPaths(ctx, rawConfig, 'model-paths', 'models', at),
    snapshots: readPaths(ctx, rawConfig, 'snapshot-paths', 'snapshots', at),
    tests: readPaths(ctx, rawConfig, 'test-paths', 'tests', at),
    macros: readPaths(ctx, rawConfig, 'macro-paths', 'macros', at),
  };
  const vars = readVars(ctx, rawConfig, projectName, options.vars ?? {}, at);
  const tree = (key: 'models' | 'snapshots' | 'data_tests', kind: ConfigKind): FolderTree =>
    readFolderTree(ctx, rawConfig[key], key, kind, { projectName, configYaml, at });
  return {
    configFile,
    configYaml,
    projectName,
    paths,
    vars,
    folders: {
      models: tree('models', 'model'),
      snapshots: tree('snapshots', 'snapshot'),
      tests: tree('data_tests', 'test'),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
      if (key === 'tests' || DBT_IGNORED_KEYS.includes(key)) continue;
      if (DBT_UNSUPPORTED_KEYS.includes(key)) {
        ctx.issues.push({
          code: 'UNSUPPORTED',
          severity: 'warning',
          message: `"${key}" in dbt_project.yml is not supported yet; it is ignored.`,
          ...at(key),
        });
        continue;
      }
      const suggestions = closestNames(key, MODELS_CONFIG_KEYS);
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
  key: 'model-paths' | 'snapshot-paths' | 'test-paths' | 'macro-paths',
  fallback: string,
  at: KeyLocator,
): string[] {
  if (rawConfig[key] === undefined) return [fallback];
  const result = modelsProjectConfigSchema.shape[key].safeParse(rawConfig[key]);
  if (result.success && result.data) return result.data.map((p) => p.replace(/\/+$/, ''));
  ctx.issues.push({
    code: 'INVALID_VALUE',
    severity: 'error',
    message: `"${key}" must be a list of folders, e.g. ["${fallback}"].`,
    ...at(key),
  });
  return [fallback];
}

/** `vars`: the project's, with dbt's project-scoped block, then the caller's. */
function readVars(
  ctx: LoadContext,
  rawConfig: Record<string, unknown>,
  projectName: string,
  callerVars: Readonly<Record<string, unknown>>,
  at: KeyLocator,
): Record<string, unknown> {
  let vars: Record<string, unknown> = {};
  if (rawConfig.vars !== undefined) {
    if (isObject(rawConfig.vars)) {
      const { [projectName]: scoped, ...rest } = rawConfig.vars;
      vars = { ...rest, ...(isObject(scoped) ? scoped : scoped === undefined ? {} : { [projectName]: scoped }) };
    } else {
      ctx.issues.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: '"vars" must be a mapping of names to values.',
        ...at('vars'),
      });
    }
  }
  // The ingestion's raw schema is where sources live: templates read it as var('raw_schema').
  if (typeof rawConfig.raw_schema === 'string' && !('raw_schema' in vars)) vars.raw_schema = rawConfig.raw_schema;
  return { ...vars, ...callerVars };
}

function readFolderTree(
  ctx: LoadContext,
  value: unknown,
  key: 'models' | 'snapshots' | 'data_tests',
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
