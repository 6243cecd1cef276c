import { z } from 'zod';
import { closestNames } from '@sluice/warehouse';
import { configKeys, isConfigKey, validateConfig, type ConfigKind } from './node-config.js';
import { didYouMean, type ProjectIssue } from './project-issue.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One level of a folder-config tree, as written: keys with `+` (or bare config keys) and sub-folders. */
export interface FolderConfigLayer {
  /** Folder path under the resource folder (`''` = all, `stage`, `stage/sub`) or a node name at the leaf. */
  readonly path: string;
  readonly config: Record<string, unknown>;
}

/** A config-tree key that names a folder (or a node); the loader checks that it exists. */
export interface FolderReference {
  readonly parent: string;
  readonly name: string;
  /** Path of the key in the YAML file, for line numbers. */
  readonly yamlPath: readonly (string | number)[];
  /** The file the key is written in, and its line. */
  readonly file: string;
  readonly line?: number;
}

/**
 * Walk a dbt_project.yml-style folder-config tree (`models:`, `snapshots:`, `data_tests:`): every `+key`
 * (or bare config key with a scalar value) is validated; other keys are folders. `projectName` as a first-level
 * key is the project itself (dbt's layout) and applies to everything.
 */
export function readFolderConfigTree(
  kind: ConfigKind,
  tree: Readonly<Record<string, unknown>>,
  options: {
    readonly projectName?: string;
    readonly file: string;
    readonly yamlPath: readonly (string | number)[];
    readonly lineOf: (path: readonly (string | number)[], key?: boolean) => number | undefined;
  },
): { layers: FolderConfigLayer[]; folders: FolderReference[]; issues: ProjectIssue[] } {
  const layers: FolderConfigLayer[] = [];
  const folders: FolderReference[] = [];
  const issues: ProjectIssue[] = [];
  const walk = (
    node: Record<string, unknown>,
    folder: string,
    yamlPath: readonly (string | number)[],
    root: boolean,
  ): void => {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (
        key.startsWith('+') ||
        (isConfigKey(kind, key) && !isPlainObject(value)) ||
        (key === 'meta' && isPlainObject(value))
      ) {
        own[key] = value;
      } else if (root && key === options.projectName && isPlainObject(value)) {
        walk(value, folder, [...yamlPath, key], false);
      } else if (isPlainObject(value)) {
        const line = options.lineOf([...yamlPath, key], true);
        folders.push({
          parent: folder,
          name: key,
          yamlPath: [...yamlPath, key],
          file: options.file,
          ...(line === undefined ? {} : { line }),
        });
        walk(value, folder === '' ? key : `${folder}/${key}`, [...yamlPath, key], false);
      } else {
        const suggestions = closestNames(key, configKeys(kind)).map((s) => `+${s}`);
        const line = options.lineOf([...yamlPath, key], true);
        issues.push({
          code: 'UNKNOWN_KEY',
          severity: 'error',
          message: `"${key}" under ${yamlPath.join('.')} is not a ${kind} config key (config keys start with "+"; folders hold a mapping).${didYouMean(suggestions)}`,
          file: options.file,
          ...(line === undefined ? {} : { line }),
          keyPath: [...yamlPath, key],
          suggestions,
        });
      }
    }
    if (Object.keys(own).length > 0) {
      const result = validateConfig(kind, own, {
        file: options.file,
        lineOf: (key) => options.lineOf([...yamlPath, key], true),
        keyPath: (key) => [...yamlPath, key],
        what: yamlPath.join('.'),
      });
      issues.push(...result.issues);
      layers.push({ path: folder, config: result.config });
    }
  };
  walk(tree as Record<string, unknown>, '', options.yamlPath, true);
  return { layers, folders, issues };
}

function folderTreeSchema(kind: ConfigKind, key: string) {
  return z.record(z.string(), z.unknown()).superRefine((tree, ctx) => {
    const { issues } = readFolderConfigTree(kind, tree, { file: '', yamlPath: [key], lineOf: () => undefined });
    for (const issue of issues) {
      if (issue.severity === 'error')
        ctx.addIssue({ code: 'custom', message: issue.message, path: [...(issue.keyPath ?? [key]).slice(1)] });
    }
  });
}

const pathList = z.array(z.string().min(1)).min(1);

/**
 * The keys of `sluice.yml` that `@sluice/models` owns, as a zod object the pipeline composes into the full,
 * strict config schema (`z.object({ ...ingestion }).extend(modelsProjectConfigSchema.shape).strict()`).
 * Folder configs are checked key by key: a misspelled `+materialzed` is an error naming `+materialized`.
 */
export const modelsProjectConfigSchema = z.object({
  /** The project's name: letters, digits and underscores (dbt's rule). */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a project name is letters, digits and underscores'),
  /** Folders holding models (default `["models"]`), seeds, snapshots, singular tests, macros and docs blocks. */
  'model-paths': pathList.optional(),
  'seed-paths': pathList.optional(),
  'snapshot-paths': pathList.optional(),
  'test-paths': pathList.optional(),
  'macro-paths': pathList.optional(),
  /** Folders searched for `{% docs %}` blocks in `.md` files (default: every resource folder, as dbt does). */
  'docs-paths': pathList.optional(),
  /** dbt's analyses: not compiled yet (a warning when the folder holds files). */
  'analysis-paths': pathList.optional(),
  /** dbt_project.yml-style folder configs: `stage: { +materialized: view, +schema: stage }`. */
  models: folderTreeSchema('model', 'models').optional(),
  snapshots: folderTreeSchema('snapshot', 'snapshots').optional(),
  /** Seed configs by folder (`+schema`, `+column_types`, `+quote_columns`, `+delimiter`, `+enabled`, …). */
  seeds: folderTreeSchema('seed', 'seeds').optional(),
  /** Defaults for data tests (`+severity`, `+store_failures`, `+schema` of the audit tables, …), by folder. */
  data_tests: folderTreeSchema('test', 'data_tests').optional(),
  /** Values for `var()`; `loadProject(dir, { vars })` overrides them. */
  vars: z.record(z.string(), z.unknown()).optional(),
  /** dbt's `dispatch:`: the packages `adapter.dispatch('x', '<namespace>')` searches, in order. */
  dispatch: z
    .array(z.object({ macro_namespace: z.string().min(1), search_order: z.array(z.string().min(1)) }).strict())
    .optional(),
});

/** The keys of sluice.yml that `@sluice/models` reads. */
export const MODELS_CONFIG_KEYS: readonly string[] = Object.keys(modelsProjectConfigSchema.shape);

/** The keys of sluice.yml owned by the ingestion side; the loader leaves them alone. */
export const INGESTION_CONFIG_KEYS: readonly string[] = [
  'version',
  'source',
  'tables',
  'raw_schema',
  'targets',
  'target',
  'state',
  'schedule',
  'ingest',
  'openlineage',
];

/** The parsed `sluice.yml` sections owned by models. */
export type ModelsProjectConfig = z.output<typeof modelsProjectConfigSchema>;
