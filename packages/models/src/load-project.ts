import { GENERIC_TEST_NAMES, isGenericTestName, validateGenericTestArgs } from '@sluice/data-tests';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { closestNames } from '@sluice/warehouse';
import { mergeConfig, validateConfig, type ConfigKind } from './node-config.js';
import { createParseHooks, emptyParseRecord, type ParseRecord } from './parse-hooks.js';
import {
  INGESTION_CONFIG_KEYS,
  MODELS_CONFIG_KEYS,
  modelsProjectConfigSchema,
  readFolderConfigTree,
  type FolderConfigLayer,
  type FolderReference,
} from './project-config.js';
import { findCycles } from './project-graph.js';
import { setProjectInternals } from './project-internals.js';
import { didYouMean, type ProjectIssue } from './project-issue.js';
import type { ModelNode, Project, ProjectNode, SnapshotNode, SourceNode, TestNode } from './project.js';
import { readPropertyFile, type NodeProperties, type TestDeclaration } from './property-files.js';
import { escapeRegExp, lineAt, lineOfCall, lineOfMatch, scanReferences } from './scan-references.js';
import { TemplateEngine, TemplateError, type CompiledTemplate } from './template-engine.js';
import { parseYamlSource } from './yaml-source.js';

/** Options of `loadProject`. */
export interface LoadProjectOptions {
  /** Values for `var()`, over the project's `vars` (the CLI's `--vars`). */
  readonly vars?: Readonly<Record<string, unknown>>;
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

interface FileEntry {
  /** Relative to the project, with `/`. */
  readonly file: string;
  /** The resource folder it was found under (`models`). */
  readonly root: string;
  /** Folder segments between the resource folder and the file. */
  readonly folders: readonly string[];
  readonly stem: string;
  text: string;
}

async function walk(projectDir: string, root: string): Promise<{ files: FileEntry[]; dirs: string[] }> {
  const files: FileEntry[] = [];
  const dirs: string[] = [];
  const visit = async (folders: string[]): Promise<void> => {
    const abs = path.join(projectDir, root, ...folders);
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subfolders: Promise<void>[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      if (entry.isDirectory()) {
        dirs.push([...folders, entry.name].join('/'));
        subfolders.push(visit([...folders, entry.name]));
      } else if (entry.isFile()) {
        const ext = path.extname(entry.name);
        files.push({
          file: [root, ...folders, entry.name].join('/'),
          root,
          folders,
          stem: entry.name.slice(0, entry.name.length - ext.length),
          text: '',
        });
      }
    }
    await Promise.all(subfolders);
  };
  await visit([]);
  files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files, dirs };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Folder-config layers resolved per folder, memoized (10,000 models share a few dozen folders). */
class FolderConfigs {
  private readonly byPath = new Map<string, Record<string, unknown>>();
  private readonly memo = new Map<string, Record<string, unknown>>();
  constructor(layers: readonly FolderConfigLayer[]) {
    for (const layer of layers)
      this.byPath.set(layer.path, mergeConfig(this.byPath.get(layer.path) ?? {}, layer.config));
  }
  /** The config of everything in `folders`, with a leaf layer for the node's own name when written. */
  resolve(folders: readonly string[], name?: string): Record<string, unknown> {
    const key = folders.join('/');
    let config = this.memo.get(key);
    if (config === undefined) {
      config = this.byPath.get('') ?? {};
      for (let i = 1; i <= folders.length; i++) {
        const layer = this.byPath.get(folders.slice(0, i).join('/'));
        if (layer) config = mergeConfig(config, layer);
      }
      this.memo.set(key, config);
    }
    if (name !== undefined) {
      const leaf = this.byPath.get(key === '' ? name : `${key}/${name}`);
      if (leaf) return mergeConfig(config, leaf);
    }
    return config;
  }
}

const SNAPSHOT_BLOCK = /\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*endsnapshot\s*-?%\}/g;

/**
 * Load a project folder: `sluice.yml` (or `dbt_project.yml`), models, property files, snapshots, singular tests
 * and macros. Every problem is collected — unknown refs and sources with their file, line and the closest names,
 * cycles with their path, misspelled config keys with the closest valid key — before anything runs.
 *
 * @example
 * const { project, errors } = await loadProject('sql-models');
 * if (errors.length > 0) for (const e of errors) console.error(formatIssue(e));
 */
export async function loadProject(dir: string, options: LoadProjectOptions = {}): Promise<LoadProjectResult> {
  const projectDir = path.resolve(dir);
  const env = options.env ?? process.env;
  const issues: ProjectIssue[] = [];
  const push = (issue: ProjectIssue): void => {
    issues.push(issue);
  };
  const engine = new TemplateEngine();
  const secrets = new Set<string>();
  const templates = new Map<string, CompiledTemplate>();

  // 1. The project file.
  let configFile: string | undefined;
  let configText = '';
  for (const candidate of PROJECT_FILES) {
    try {
      configText = await readFile(path.join(projectDir, candidate), 'utf8');
      configFile = candidate;
      break;
    } catch {
      // try the next name
    }
  }
  const emptyProject = (name: string, file: string): Project => ({
    name,
    dir: projectDir,
    configFile: file,
    nodes: new Map(),
    parents: new Map(),
    children: new Map(),
    vars: {},
    macros: new Map(),
    warnings: [],
    errors: issues,
  });
  if (configFile === undefined) {
    push({
      code: 'NO_PROJECT_FILE',
      severity: 'error',
      message: `${projectDir} has no sluice.yml (or dbt_project.yml): this folder is not a project.`,
    });
    const project = emptyProject('', '');
    setProjectInternals(project, { engine, templates, secrets, env });
    return { project, errors: issues, warnings: [] };
  }
  const isDbt = configFile === 'dbt_project.yml';
  const parsedConfig = parseYamlSource(configText, configFile);
  issues.push(...parsedConfig.issues);
  const configYaml = parsedConfig.source;
  const rawConfig: Record<string, unknown> = isObject(configYaml.value) ? { ...configYaml.value } : {};
  if (configYaml.value !== undefined && !isObject(configYaml.value)) {
    push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `${configFile} must be a mapping of keys.`,
      file: configFile,
      line: 1,
    });
  }
  const atKey = (key: string): { file: string; line?: number } => {
    const line = configYaml.lineOf([key], true);
    return { file: configFile as string, ...(line === undefined ? {} : { line }) };
  };
  if (isDbt && rawConfig.tests !== undefined && rawConfig.data_tests === undefined) {
    rawConfig.data_tests = rawConfig.tests;
  }
  const otherKeys = options.otherConfigKeys ?? INGESTION_CONFIG_KEYS;
  for (const key of Object.keys(rawConfig)) {
    if (MODELS_CONFIG_KEYS.includes(key)) continue;
    if (isDbt) {
      if (key === 'tests' || DBT_IGNORED_KEYS.includes(key)) continue;
      if (DBT_UNSUPPORTED_KEYS.includes(key)) {
        push({
          code: 'UNSUPPORTED',
          severity: 'warning',
          message: `"${key}" in dbt_project.yml is not supported yet; it is ignored.`,
          ...atKey(key),
        });
        continue;
      }
      const suggestions = closestNames(key, MODELS_CONFIG_KEYS);
      push({
        code: 'UNKNOWN_KEY',
        severity: 'warning',
        message: `"${key}" in dbt_project.yml is not a key Sluice knows; it is ignored.${didYouMean(suggestions)}`,
        ...atKey(key),
        suggestions,
      });
      continue;
    }
    if (otherKeys.includes(key)) continue;
    const suggestions = closestNames(key, [...MODELS_CONFIG_KEYS, ...otherKeys]);
    push({
      code: 'UNKNOWN_KEY',
      severity: 'error',
      message: `"${key}" is not a ${configFile} key.${didYouMean(suggestions)}${suggestions.length === 0 ? ` Keys: ${[...MODELS_CONFIG_KEYS, ...otherKeys].join(', ')}.` : ''}`,
      ...atKey(key),
      suggestions,
    });
  }
  const shape = modelsProjectConfigSchema.shape;
  let projectName = 'project';
  const nameResult = shape.name.safeParse(rawConfig.name);
  if (nameResult.success) projectName = nameResult.data;
  else {
    push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message:
        rawConfig.name === undefined
          ? `${configFile} needs a "name" (letters, digits and underscores), e.g. name: novadrive.`
          : `"name": ${nameResult.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(rawConfig.name)}).`,
      ...atKey('name'),
    });
  }
  const paths = (key: 'model-paths' | 'snapshot-paths' | 'test-paths' | 'macro-paths', fallback: string): string[] => {
    if (rawConfig[key] === undefined) return [fallback];
    const result = shape[key].safeParse(rawConfig[key]);
    if (result.success && result.data) return result.data.map((p) => p.replace(/\/+$/, ''));
    push({
      code: 'INVALID_VALUE',
      severity: 'error',
      message: `"${key}" must be a list of folders, e.g. ["${fallback}"].`,
      ...atKey(key),
    });
    return [fallback];
  };
  const modelPaths = paths('model-paths', 'models');
  const snapshotPaths = paths('snapshot-paths', 'snapshots');
  const testPaths = paths('test-paths', 'tests');
  const macroPaths = paths('macro-paths', 'macros');

  // vars: the project's, with dbt's project-scoped block, then the caller's.
  let vars: Record<string, unknown> = {};
  if (rawConfig.vars !== undefined) {
    if (isObject(rawConfig.vars)) {
      const { [projectName]: scoped, ...rest } = rawConfig.vars;
      vars = { ...rest, ...(isObject(scoped) ? scoped : scoped === undefined ? {} : { [projectName]: scoped }) };
    } else {
      push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: '"vars" must be a mapping of names to values.',
        ...atKey('vars'),
      });
    }
  }
  // The ingestion's raw schema is where sources live: templates read it as var('raw_schema').
  if (typeof rawConfig.raw_schema === 'string' && !('raw_schema' in vars)) vars.raw_schema = rawConfig.raw_schema;
  vars = { ...vars, ...(options.vars ?? {}) };

  const folderTree = (
    key: 'models' | 'snapshots' | 'data_tests',
    kind: ConfigKind,
  ): { configs: FolderConfigs; folders: FolderReference[] } => {
    const value = rawConfig[key];
    if (value === undefined || value === null) return { configs: new FolderConfigs([]), folders: [] };
    if (!isObject(value)) {
      push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: `"${key}" must be a mapping of folders and +configs.`,
        ...atKey(key),
      });
      return { configs: new FolderConfigs([]), folders: [] };
    }
    const result = readFolderConfigTree(kind, value, {
      projectName,
      file: configFile as string,
      yamlPath: [key],
      lineOf: configYaml.lineOf,
    });
    issues.push(...result.issues);
    return { configs: new FolderConfigs(result.layers), folders: result.folders };
  };
  const modelFolders = folderTree('models', 'model');
  const snapshotFolders = folderTree('snapshots', 'snapshot');
  const testFolders = folderTree('data_tests', 'test');

  // 2. Files.
  const walked = await Promise.all(
    [...modelPaths, ...snapshotPaths, ...testPaths, ...macroPaths].map(async (root) => ({
      root,
      ...(await walk(projectDir, root)),
    })),
  );
  const seenFiles = new Set<string>();
  const filesUnder = (roots: readonly string[]): FileEntry[] =>
    walked.filter((w) => roots.includes(w.root)).flatMap((w) => w.files);
  const dirsUnder = (roots: readonly string[]): Set<string> =>
    new Set(walked.filter((w) => roots.includes(w.root)).flatMap((w) => w.dirs));
  const allFiles = walked
    .flatMap((w) => w.files)
    .filter((f) => {
      if (seenFiles.has(f.file)) return false;
      seenFiles.add(f.file);
      return /\.(sql|ya?ml)$/.test(f.file);
    });
  // Synchronous reads: for thousands of small files they are several times faster than fs/promises.
  for (const f of allFiles) {
    try {
      f.text = readFileSync(path.join(projectDir, f.file), 'utf8');
    } catch (error) {
      push({
        code: 'UNREADABLE_FILE',
        severity: 'error',
        message: `cannot read: ${(error as Error).message}`,
        file: f.file,
      });
    }
  }
  const isSql = (f: FileEntry): boolean => f.file.endsWith('.sql');
  const isYaml = (f: FileEntry): boolean => /\.ya?ml$/.test(f.file);
  const modelFiles = filesUnder(modelPaths).filter(isSql);
  const snapshotFiles = filesUnder(snapshotPaths).filter(isSql);
  const genericTestFiles = filesUnder(testPaths).filter((f) => isSql(f) && f.folders[0] === 'generic');
  const singularFiles = filesUnder(testPaths).filter((f) => isSql(f) && f.folders[0] !== 'generic');
  const macroFiles = [...filesUnder(macroPaths).filter(isSql), ...genericTestFiles];
  const propertyFiles = [
    ...new Set([...filesUnder(modelPaths), ...filesUnder(snapshotPaths), ...filesUnder(testPaths)]),
  ].filter(isYaml);

  const templateIssue = (error: unknown, file: string, fallbackLine?: number): void => {
    const e = error instanceof TemplateError ? error : engine.toTemplateError(error, file);
    const line = e.line ?? fallbackLine;
    push({
      code: 'TEMPLATE_ERROR',
      severity: 'error',
      message: e.message,
      file,
      ...(line === undefined ? {} : { line }),
      ...(e.column === undefined ? {} : { column: e.column }),
    });
  };
  const recordIssues = (record: ParseRecord, file: string, text: string): void => {
    for (const name of record.missingVars) {
      const line = lineOfCall(text, 'var', name);
      push({
        code: 'UNKNOWN_VAR',
        severity: 'error',
        message: `var('${name}') has no value and no default: add it under vars: in ${configFile}, pass it with --vars, or give a default var('${name}', …).${didYouMean(closestNames(name, Object.keys(vars)))}`,
        file,
        ...(line === undefined ? {} : { line }),
        suggestions: closestNames(name, Object.keys(vars)),
      });
    }
    for (const name of record.missingEnv) {
      const line = lineOfCall(text, 'env_var', name);
      push({
        code: 'MISSING_ENV_VAR',
        severity: 'error',
        message: `env_var('${name}'): the environment variable ${name} is not set and there is no default. Set it, or write env_var('${name}', 'default').`,
        file,
        ...(line === undefined ? {} : { line }),
      });
    }
  };
  const parseRender = (
    template: CompiledTemplate,
    file: string,
    text: string,
    nodeName: string,
    nodeId: string,
  ): ParseRecord => {
    const record = emptyParseRecord();
    try {
      engine.render(template, createParseHooks({ nodeName, nodeId, file, vars, env, secrets, record }));
    } catch (error) {
      templateIssue(error, file);
    }
    recordIssues(record, file, text);
    // Refs inside branches the parse render did not take (is_incremental(), target checks) count too.
    const scanned = scanReferences(text);
    record.refs.push(...scanned.refs);
    record.sources.push(...scanned.sources);
    return record;
  };

  // 3. Macros (before anything that may call them).
  const macros = new Map<string, string>();
  for (const f of macroFiles) {
    try {
      const record = emptyParseRecord();
      const names = engine.addMacroFile(
        f.text,
        f.file,
        createParseHooks({
          nodeName: f.stem,
          nodeId: `macro.${projectName}.${f.stem}`,
          file: f.file,
          vars,
          env,
          secrets,
          record,
        }),
      );
      recordIssues(record, f.file, f.text);
      for (const name of names) {
        const line = lineOfMatch(
          f.text,
          new RegExp(`\\{%-?\\s*(?:macro|test)\\s+(?:test_)?${escapeRegExp(name.replace(/^test_/, ''))}\\b`),
        );
        if (TemplateEngine.isReservedName(name)) {
          push({
            code: 'DUPLICATE_NAME',
            severity: 'error',
            message: `macro ${name} would replace the built-in ${name}; rename it.`,
            file: f.file,
            ...(line === undefined ? {} : { line }),
          });
        } else if (macros.has(name)) {
          push({
            code: 'DUPLICATE_NAME',
            severity: 'error',
            message: `macro ${name} is defined twice: here and in ${macros.get(name)}.`,
            file: f.file,
            ...(line === undefined ? {} : { line }),
          });
        } else {
          macros.set(name, f.file);
        }
      }
    } catch (error) {
      templateIssue(error, f.file);
    }
  }

  // 4. Property files.
  const modelProps = new Map<string, NodeProperties>();
  const snapshotProps = new Map<string, NodeProperties>();
  const sourceNodes: SourceNode[] = [];
  const testDeclarations: TestDeclaration[] = [];
  const sourceKeys = new Map<string, string>();
  const renderYamlValue = (value: string, file: string): string => {
    if (!value.includes('{{')) return value;
    const record = emptyParseRecord();
    try {
      return engine
        .renderString(value, file, createParseHooks({ nodeName: '', nodeId: '', file, vars, env, secrets, record }))
        .trim();
    } catch (error) {
      templateIssue(error, file);
      return value;
    } finally {
      recordIssues(record, file, value);
    }
  };
  for (const f of propertyFiles) {
    const { source, issues: yamlIssues } = parseYamlSource(f.text, f.file);
    issues.push(...yamlIssues);
    const content = readPropertyFile(source);
    issues.push(...content.issues);
    for (const [list, map, kind] of [
      [content.models, modelProps, 'model'],
      [content.snapshots, snapshotProps, 'snapshot'],
    ] as const) {
      for (const props of list) {
        const previous = map.get(props.name);
        if (previous) {
          const line = props.place.source.lineOf(props.place.path);
          push({
            code: 'DUPLICATE_NAME',
            severity: 'error',
            message: `${kind} ${props.name} is described twice: here and in ${previous.place.source.file}.`,
            file: f.file,
            ...(line === undefined ? {} : { line }),
          });
        } else {
          map.set(props.name, props);
        }
      }
    }
    for (const s of content.sources) {
      const id = `source.${projectName}.${s.sourceName}.${s.tableName}`;
      const line = s.place.source.lineOf(s.place.path);
      if (sourceKeys.has(id)) {
        push({
          code: 'DUPLICATE_NAME',
          severity: 'error',
          message: `source table ${s.sourceName}.${s.tableName} is declared twice: here and in ${sourceKeys.get(id)}.`,
          file: f.file,
          ...(line === undefined ? {} : { line }),
        });
        continue;
      }
      sourceKeys.set(id, f.file);
      sourceNodes.push({
        id,
        kind: 'source',
        name: s.tableName,
        sourceName: s.sourceName,
        file: f.file,
        ...(line === undefined ? {} : { line }),
        fqn: [projectName, s.sourceName, s.tableName],
        description: s.description,
        tags: s.tags,
        dependsOn: [],
        schema: renderYamlValue(s.schema, f.file),
        identifier: renderYamlValue(s.identifier, f.file),
        columns: s.columns,
        ...(s.loadedAtField === undefined ? {} : { loadedAtField: s.loadedAtField }),
      });
    }
    testDeclarations.push(...content.tests);
  }

  // 5. Models and snapshots.
  interface Pending {
    node: { id: string; name: string; file: string; kind: 'model' | 'snapshot' };
    record: ParseRecord;
    text: string;
  }
  const pending: Pending[] = [];
  const relationalNames = new Map<string, { id: string; file: string }>();
  const disabled = new Map<string, string>();
  const models: ModelNode[] = [];
  const snapshots: SnapshotNode[] = [];
  const usedProps = new Set<NodeProperties>();

  const finalConfig = (
    kind: 'model' | 'snapshot',
    base: Record<string, unknown>,
    props: NodeProperties | undefined,
    record: ParseRecord,
    file: string,
    text: string,
    name: string,
  ): Record<string, unknown> => {
    let config = base;
    if (props) {
      const fromProps = validateConfig(kind, props.config, {
        file: props.place.source.file,
        lineOf: (key) => props.place.source.lineOf([...props.place.path, 'config', key], true),
        what: `config of ${kind} ${name} in ${props.place.source.file}`,
      });
      issues.push(...fromProps.issues);
      config = mergeConfig(config, fromProps.config);
      if (props.tags.length > 0) config = mergeConfig(config, { tags: props.tags });
    }
    const own = validateConfig(kind, record.config, {
      file,
      lineOf: (key) =>
        lineOfMatch(text, new RegExp(`\\b${escapeRegExp(key)}\\s*=`)) ?? lineOfMatch(text, /\bconfig\s*\(/),
      what: `config() of ${kind} ${name}`,
    });
    issues.push(...own.issues);
    return mergeConfig(config, own.config);
  };

  const claimName = (name: string, id: string, file: string, line: number | undefined): boolean => {
    const previous = relationalNames.get(name);
    if (previous) {
      push({
        code: 'DUPLICATE_NAME',
        severity: 'error',
        message: `two models or snapshots are named ${name}: ${previous.file} and ${file}. Names must be unique (they are the table names); rename one.`,
        file,
        ...(line === undefined ? {} : { line }),
      });
      return false;
    }
    relationalNames.set(name, { id, file });
    return true;
  };

  for (const f of modelFiles) {
    const name = f.stem;
    const id = `model.${projectName}.${name}`;
    let template: CompiledTemplate;
    try {
      template = engine.compile(f.text, f.file);
    } catch (error) {
      templateIssue(error, f.file);
      claimName(name, id, f.file, 1);
      continue;
    }
    const record = parseRender(template, f.file, f.text, name, id);
    const props = modelProps.get(name);
    if (props) usedProps.add(props);
    const config = finalConfig(
      'model',
      modelFolders.configs.resolve(f.folders, name),
      props,
      record,
      f.file,
      f.text,
      name,
    );
    if (config.enabled === false) {
      disabled.set(name, f.file);
      continue;
    }
    if (!claimName(name, id, f.file, 1)) continue;
    templates.set(id, template);
    const materialized = (config.materialized as ModelNode['materialized'] | undefined) ?? 'view';
    models.push({
      id,
      kind: 'model',
      name,
      file: f.file,
      line: 1,
      fqn: [projectName, ...f.folders, name],
      description: props?.description ?? '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: [],
      config: { ...config, materialized },
      materialized,
      rawSql: f.text,
      columns: props?.columns ?? [],
    });
    pending.push({ node: { id, name, file: f.file, kind: 'model' }, record, text: f.text });
  }

  for (const f of snapshotFiles) {
    SNAPSHOT_BLOCK.lastIndex = 0;
    let found = false;
    for (let m = SNAPSHOT_BLOCK.exec(f.text); m !== null; m = SNAPSHOT_BLOCK.exec(f.text)) {
      found = true;
      const name = m[1] as string;
      const id = `snapshot.${projectName}.${name}`;
      const startLine = lineAt(f.text, m.index);
      // Pad with newlines so template errors report the line in the file.
      const body = '\n'.repeat(startLine - 1) + (m[2] as string);
      let template: CompiledTemplate;
      try {
        template = engine.compile(body, f.file);
      } catch (error) {
        templateIssue(error, f.file, startLine);
        continue;
      }
      const record = parseRender(template, f.file, body, name, id);
      const props = snapshotProps.get(name);
      if (props) usedProps.add(props);
      const config = finalConfig(
        'snapshot',
        snapshotFolders.configs.resolve(f.folders, name),
        props,
        record,
        f.file,
        f.text,
        name,
      );
      if (config.enabled === false) {
        disabled.set(name, f.file);
        continue;
      }
      if (!claimName(name, id, f.file, startLine)) continue;
      const problems: string[] = [];
      if (config.unique_key === undefined) problems.push('unique_key');
      if (config.strategy === undefined) problems.push("strategy ('timestamp' or 'check')");
      if (config.strategy === 'timestamp' && config.updated_at === undefined)
        problems.push('updated_at (the timestamp strategy needs it)');
      if (config.strategy === 'check' && config.check_cols === undefined)
        problems.push("check_cols (a list of columns, or 'all')");
      if (problems.length > 0) {
        push({
          code: 'INVALID_VALUE',
          severity: 'error',
          message: `snapshot ${name} needs config ${problems.join(', ')}.`,
          file: f.file,
          line: startLine,
        });
      }
      templates.set(id, template);
      snapshots.push({
        id,
        kind: 'snapshot',
        name,
        file: f.file,
        line: startLine,
        fqn: [projectName, ...f.folders, name],
        description: props?.description ?? '',
        tags: (config.tags as string[] | undefined) ?? [],
        dependsOn: [],
        config,
        rawSql: m[2] as string,
        columns: props?.columns ?? [],
      });
      pending.push({ node: { id, name, file: f.file, kind: 'snapshot' }, record, text: body });
    }
    if (!found && f.text.trim() !== '') {
      push({
        code: 'TEMPLATE_ERROR',
        severity: 'error',
        message: 'a snapshot file holds {% snapshot name %} … {% endsnapshot %} blocks; none found.',
        file: f.file,
        line: 1,
      });
    }
  }

  for (const [map, kind] of [
    [modelProps, 'model'],
    [snapshotProps, 'snapshot'],
  ] as const) {
    for (const props of map.values()) {
      if (usedProps.has(props) || disabled.has(props.name)) continue;
      const line = props.place.source.lineOf([...props.place.path, 'name']);
      const suggestions = closestNames(props.name, relationalNames.keys());
      push({
        code: 'UNKNOWN_NODE',
        severity: 'error',
        message: `${props.place.source.file} describes ${kind} ${props.name}, but there is no ${kind} file of that name.${didYouMean(suggestions)}`,
        file: props.place.source.file,
        ...(line === undefined ? {} : { line }),
        suggestions,
      });
    }
  }

  // 6. Resolve refs and sources.
  const sourceIds = new Set(sourceNodes.map((s) => s.id));
  const sourceLabels = sourceNodes.map((s) => `${s.sourceName}.${s.name}`);
  const resolveRef = (ref: { name: string; package?: string }, file: string, text: string): string | undefined => {
    if (ref.package === undefined || ref.package === projectName) {
      const found = relationalNames.get(ref.name);
      if (found) return found.id;
    }
    const line = lineOfCall(text, 'ref', ref.package ?? ref.name);
    const at = { file, ...(line === undefined ? {} : { line }) };
    if (ref.package !== undefined && ref.package !== projectName) {
      push({
        code: 'UNSUPPORTED',
        severity: 'error',
        message: `ref('${ref.package}', '${ref.name}'): refs into other packages are not supported; this project is ${projectName}.`,
        ...at,
      });
      return undefined;
    }
    if (disabled.has(ref.name)) {
      push({
        code: 'DISABLED_REF',
        severity: 'error',
        message: `ref('${ref.name}') names a disabled model (${disabled.get(ref.name)}); enable it or remove the ref.`,
        ...at,
      });
      return undefined;
    }
    const suggestions = closestNames(ref.name, relationalNames.keys());
    push({
      code: 'UNKNOWN_REF',
      severity: 'error',
      message: `ref('${ref.name}') names no model or snapshot.${didYouMean(suggestions)}`,
      ...at,
      suggestions,
    });
    return undefined;
  };
  const resolveSource = (s: { source: string; table: string }, file: string, text: string): string | undefined => {
    const id = `source.${projectName}.${s.source}.${s.table}`;
    if (sourceIds.has(id)) return id;
    const line = lineOfCall(text, 'source', s.source);
    const suggestions = closestNames(`${s.source}.${s.table}`, sourceLabels);
    push({
      code: 'UNKNOWN_SOURCE',
      severity: 'error',
      message: `source('${s.source}', '${s.table}') is not declared in any sources: block.${didYouMean(suggestions)}`,
      file,
      ...(line === undefined ? {} : { line }),
      suggestions,
    });
    return undefined;
  };
  const dependencies = new Map<string, string[]>();
  const resolveAll = (id: string, record: ParseRecord, file: string, text: string): string[] => {
    const deps = new Set<string>();
    const seenRefs = new Set<string>();
    for (const ref of record.refs) {
      const key = `${ref.package ?? ''}/${ref.name}`;
      if (seenRefs.has(key)) continue;
      seenRefs.add(key);
      const resolved = resolveRef(ref, file, text);
      if (resolved) deps.add(resolved);
    }
    const seenSources = new Set<string>();
    for (const s of record.sources) {
      const key = `${s.source}.${s.table}`;
      if (seenSources.has(key)) continue;
      seenSources.add(key);
      const resolved = resolveSource(s, file, text);
      if (resolved) deps.add(resolved);
    }
    const list = [...deps];
    dependencies.set(id, list);
    return list;
  };
  for (const p of pending) resolveAll(p.node.id, p.record, p.node.file, p.text);

  // 7. Tests: singular files, then generic tests from property files.
  const tests: TestNode[] = [];
  const testNames = new Map<string, string>();
  const claimTestName = (name: string, file: string, line: number | undefined): boolean => {
    const previous = testNames.get(name);
    if (previous !== undefined) {
      push({
        code: 'DUPLICATE_NAME',
        severity: 'error',
        message: `two data tests are named ${name} (also in ${previous}); give one a name: .`,
        file,
        ...(line === undefined ? {} : { line }),
      });
      return false;
    }
    testNames.set(name, file);
    return true;
  };
  for (const f of singularFiles) {
    const name = f.stem;
    const id = `test.${projectName}.${name}`;
    let template: CompiledTemplate;
    try {
      template = engine.compile(f.text, f.file);
    } catch (error) {
      templateIssue(error, f.file);
      continue;
    }
    const record = parseRender(template, f.file, f.text, name, id);
    const own = validateConfig('test', record.config, {
      file: f.file,
      lineOf: (key) => lineOfMatch(f.text, new RegExp(`\\b${escapeRegExp(key)}\\s*=`)),
      what: `config() of test ${name}`,
    });
    issues.push(...own.issues);
    const config = mergeConfig(testFolders.configs.resolve(f.folders), own.config);
    if (config.enabled === false) continue;
    if (!claimTestName(name, f.file, 1)) continue;
    templates.set(id, template);
    const deps = resolveAll(id, record, f.file, f.text);
    tests.push({
      id,
      kind: 'test',
      name,
      file: f.file,
      line: 1,
      fqn: [projectName, ...f.folders, name],
      description: '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: deps,
      testType: 'singular',
      args: {},
      config,
      rawSql: f.text,
    });
  }

  const testFileFolders = new Map(propertyFiles.map((f) => [f.file, f.folders] as const));
  const customTestNames = [...macros.keys()].filter((n) => n.startsWith('test_')).map((n) => n.slice(5));
  for (const declaration of testDeclarations) {
    const source = declaration.place.source;
    const line = source.lineOf(declaration.place.path);
    const at = { file: source.file, ...(line === undefined ? {} : { line }) };
    let attachedTo: string | undefined;
    let label: string;
    if (declaration.target.kind === 'source') {
      label = `${declaration.target.source}_${declaration.target.table}`;
      attachedTo = `source.${projectName}.${declaration.target.source}.${declaration.target.table}`;
    } else {
      label = declaration.target.name;
      const found = relationalNames.get(declaration.target.name);
      if (disabled.has(declaration.target.name)) continue;
      // An unknown model in a property file is reported once above; its tests are left out.
      if (!found) continue;
      attachedTo = found.id;
    }
    const testName = declaration.testName.replace(/^(dbt|dbt_utils)\./, '');
    const custom = engine.hasMacro(`test_${testName}`);
    const builtin = !custom && isGenericTestName(testName);
    if (!custom && !builtin) {
      const suggestions = closestNames(testName, [...GENERIC_TEST_NAMES, ...customTestNames]);
      push({
        code: 'INVALID_TEST',
        severity: 'error',
        message: `"${declaration.testName}" is not a generic test (built in: ${GENERIC_TEST_NAMES.join(', ')}; or define {% test ${testName}(model, column_name) %} in macros/).${didYouMean(suggestions)}`,
        ...at,
        suggestions,
      });
      continue;
    }
    if (builtin && isGenericTestName(testName)) {
      for (const problem of validateGenericTestArgs(testName, declaration.args, declaration.columnName !== undefined)) {
        push({ code: 'INVALID_TEST', severity: 'error', message: problem, ...at });
      }
    }
    const own = validateConfig('test', declaration.config, {
      file: source.file,
      lineOf: (key) => source.lineOf(declaration.configPaths[key] ?? declaration.place.path, true),
      what: `test ${declaration.testName}`,
    });
    issues.push(...own.issues);
    const config = mergeConfig(testFolders.configs.resolve(testFileFolders.get(source.file) ?? []), own.config);
    if (config.enabled === false) continue;
    // Arguments written as ref('x') / source('s', 't') are dependencies too (relationships.to).
    const deps = new Set<string>([attachedTo]);
    for (const value of Object.values(declaration.args)) {
      if (typeof value !== 'string') continue;
      const scanned = scanReferences(value.includes('{{') ? value : `{{ ${value} }}`);
      for (const ref of scanned.refs) {
        const resolved = resolveRef(ref, source.file, '');
        if (resolved) deps.add(resolved);
      }
      for (const s of scanned.sources) {
        const resolved = resolveSource(s, source.file, '');
        if (resolved) deps.add(resolved);
      }
    }
    const base = [testName, label, declaration.columnName ?? ''].filter((s) => s !== '').join('_');
    let name = declaration.name ?? sanitizeName(declaration.target.kind === 'source' ? `source_${base}` : base);
    if (declaration.name === undefined && testNames.has(name))
      name = `${name}_${shortHash(JSON.stringify(declaration.args))}`;
    if (!claimTestName(name, source.file, line)) continue;
    const id = `test.${projectName}.${name}`;
    dependencies.set(id, [...deps]);
    tests.push({
      id,
      kind: 'test',
      name,
      file: source.file,
      ...(line === undefined ? {} : { line }),
      fqn: [projectName, ...(testFileFolders.get(source.file) ?? []), name],
      description: '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: [...deps],
      testType: 'generic',
      testName,
      builtin,
      attachedTo,
      ...(declaration.columnName === undefined
        ? {}
        : {
            columnName: declaration.quoteColumn
              ? `"${declaration.columnName.replaceAll('"', '""')}"`
              : declaration.columnName,
          }),
      args: declaration.args,
      config,
    });
  }

  // 8. Folder names in the project file must exist.
  const checkFolders = (
    refs: readonly FolderReference[],
    dirs: Set<string>,
    names: readonly string[],
    key: string,
  ): void => {
    for (const ref of refs) {
      const full = ref.parent === '' ? ref.name : `${ref.parent}/${ref.name}`;
      if (dirs.has(full) || names.includes(ref.name)) continue;
      const siblings = [...dirs]
        .filter((d) =>
          ref.parent === ''
            ? !d.includes('/')
            : d.startsWith(`${ref.parent}/`) && !d.slice(ref.parent.length + 1).includes('/'),
        )
        .map((d) => d.split('/').at(-1) as string);
      const suggestions = closestNames(ref.name, [...siblings, ...names]);
      const line = configYaml.lineOf(ref.yamlPath, true);
      push({
        code: 'UNKNOWN_FOLDER',
        severity: 'error',
        message: `"${ref.yamlPath.join('.')}": no folder or node named ${ref.name} under ${key}${ref.parent === '' ? '' : `/${ref.parent}`} (config keys start with "+").${didYouMean(suggestions)}`,
        file: configFile as string,
        ...(line === undefined ? {} : { line }),
        suggestions,
      });
    }
  };
  checkFolders(
    modelFolders.folders,
    dirsUnder(modelPaths),
    models.map((m) => m.name),
    modelPaths.join(', '),
  );
  checkFolders(
    snapshotFolders.folders,
    dirsUnder(snapshotPaths),
    snapshots.map((s) => s.name),
    snapshotPaths.join(', '),
  );
  checkFolders(testFolders.folders, new Set([...dirsUnder(testPaths), ...dirsUnder(modelPaths)]), [], 'tests');

  // 9. The graph, and its cycles.
  const ordered: ProjectNode[] = [...sourceNodes, ...models, ...snapshots, ...tests];
  const nodes = new Map<string, ProjectNode>();
  for (const node of ordered) {
    const deps = node.kind === 'source' ? [] : (dependencies.get(node.id) ?? []);
    nodes.set(node.id, { ...node, dependsOn: deps } as ProjectNode);
  }
  const parents = new Map<string, readonly string[]>();
  const children = new Map<string, string[]>();
  for (const node of nodes.values()) {
    parents.set(node.id, node.dependsOn);
    children.set(node.id, []);
  }
  for (const node of nodes.values()) for (const parent of node.dependsOn) children.get(parent)?.push(node.id);
  for (const cycle of findCycles([...nodes.keys()], parents)) {
    const names = cycle.map((id) => nodes.get(id)?.name ?? id);
    const first = nodes.get(cycle[0] as string);
    push({
      code: 'CYCLE',
      severity: 'error',
      message: `these models depend on each other in a circle: ${names.join(' → ')}. Remove one of the refs.`,
      ...(first ? { file: first.file, ...(first.line === undefined ? {} : { line: first.line }) } : {}),
      cycle: names,
    });
  }

  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  const project: Project = {
    name: projectName,
    dir: projectDir,
    configFile,
    nodes,
    parents,
    children,
    vars,
    macros,
    warnings,
    errors,
  };
  setProjectInternals(project, { engine, templates, secrets, env });
  return { project, errors, warnings };
}

function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+$/, '');
}

function shortHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16).padStart(8, '0').slice(0, 8);
}
