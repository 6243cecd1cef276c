import { closestNames } from '@sluice/warehouse';
import { mergeConfig, validateConfig } from '../node-config.js';
import { emptyParseRecord, type ParseRecord } from '../parse-hooks.js';
import { didYouMean } from '../project-issue.js';
import type { ModelNode, SeedNode, SnapshotNode } from '../project.js';
import type { NodeProperties } from '../property-files.js';
import { escapeRegExp, lineAt, lineOfMatch } from '../scan-references.js';
import type { CompiledTemplate } from '../template-engine.js';
import type { ProjectProperties } from './collect-properties.js';
import { atLine, type LoadContext } from './load-context.js';
import type { FileEntry } from './read-project-files.js';
import type { ProjectSettings } from './read-project-settings.js';
import type { TemplateParser } from './template-parser.js';

/** A model or snapshot waiting for its refs and sources to be resolved. */
export interface PendingNode {
  readonly id: string;
  readonly file: string;
  readonly record: ParseRecord;
  /** The text the template was rendered from (a snapshot's block, padded to its line). */
  readonly text: string;
}

/** The models, seeds and snapshots of the project: what refs resolve to. */
export interface RelationalNodes {
  /** Name → the enabled model, seed or snapshot of that name. */
  readonly names: ReadonlyMap<string, { readonly id: string; readonly file: string }>;
  /** Name → file of a disabled model, seed or snapshot. */
  readonly disabled: ReadonlyMap<string, string>;
  readonly models: readonly ModelNode[];
  readonly snapshots: readonly SnapshotNode[];
  readonly seeds?: readonly SeedNode[];
  readonly pending: readonly PendingNode[];
}

const SNAPSHOT_BLOCK = /\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*endsnapshot\s*-?%\}/g;

/**
 * Phase 6: the models, seeds and snapshots — each template parsed and rendered at parse time, its config resolved
 * (folder configs < property file < its own `config()`), disabled ones set aside, names claimed once
 * (DUPLICATE_NAME) — then the property-file entries that describe nothing (UNKNOWN_NODE).
 */
export function collectRelationalNodes(
  ctx: LoadContext,
  parser: TemplateParser,
  settings: ProjectSettings,
  files: {
    readonly modelFiles: readonly FileEntry[];
    readonly snapshotFiles: readonly FileEntry[];
    readonly seedFiles?: readonly FileEntry[];
    readonly propertyFiles?: readonly FileEntry[];
  },
  properties: ProjectProperties,
): RelationalNodes {
  const collector = new RelationalCollector(ctx, parser, settings, properties);
  for (const f of files.seedFiles ?? []) collector.addSeed(f);
  for (const f of files.modelFiles) collector.addModel(f);
  for (const f of files.snapshotFiles) collector.addSnapshotFile(f);
  collector.addYamlSnapshots(files.propertyFiles ?? []);
  collector.checkUnusedProperties();
  return collector;
}

/** Where a model or snapshot was found, and what its parse-time render recorded. */
interface Candidate {
  readonly kind: 'model' | 'snapshot' | 'seed';
  readonly name: string;
  readonly id: string;
  readonly file: FileEntry;
  readonly line: number;
  readonly record: ParseRecord;
}

class RelationalCollector implements RelationalNodes {
  readonly names = new Map<string, { id: string; file: string }>();
  readonly disabled = new Map<string, string>();
  readonly models: ModelNode[] = [];
  readonly snapshots: SnapshotNode[] = [];
  readonly seeds: SeedNode[] = [];
  readonly pending: PendingNode[] = [];
  private readonly usedProps = new Set<NodeProperties>();

  constructor(
    private readonly ctx: LoadContext,
    private readonly parser: TemplateParser,
    private readonly settings: ProjectSettings,
    private readonly properties: ProjectProperties,
  ) {}

  addModel(f: FileEntry): void {
    const name = f.stem;
    const id = `model.${this.settings.projectName}.${name}`;
    let template: CompiledTemplate;
    try {
      template = this.ctx.engine.compile(f.text, f.file, this.settings.projectName);
    } catch (error) {
      this.parser.templateIssue(error, f.file);
      this.claimName(name, id, f.file, 1);
      // Its property-file entry describes this very file: not a second problem ("no model file of that name").
      const props = this.properties.models.get(name);
      if (props) this.usedProps.add(props);
      return;
    }
    const record = this.parser.render(template, f.file, f.text, name, id);
    const admitted = this.admit({ kind: 'model', name, id, file: f, line: 1, record });
    if (admitted === undefined) return;
    const { config, props } = admitted;
    this.ctx.templates.set(id, template);
    const materialized = (config.materialized as ModelNode['materialized'] | undefined) ?? 'view';
    this.models.push({
      id,
      kind: 'model',
      name,
      file: f.file,
      line: 1,
      fqn: [this.settings.projectName, ...f.folders, name],
      description: props?.description ?? '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: [],
      config: { ...config, materialized },
      materialized,
      rawSql: f.text,
      columns: props?.columns ?? [],
    });
    this.pending.push({ id, file: f.file, record, text: f.text });
  }

  /** A seed: a CSV file; its config comes from `seeds:` folder configs and property files (it has no `config()`). */
  addSeed(f: FileEntry): void {
    const name = f.stem;
    const id = `seed.${this.settings.projectName}.${name}`;
    const admitted = this.admit({ kind: 'seed', name, id, file: f, line: 1, record: emptyParseRecord() });
    if (admitted === undefined) return;
    const { config, props } = admitted;
    this.seeds.push({
      id,
      kind: 'seed',
      name,
      file: f.file,
      line: 1,
      fqn: [this.settings.projectName, ...f.folders, name],
      description: props?.description ?? '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: [],
      config,
      columns: props?.columns ?? [],
    });
  }

  /** Every `{% snapshot name %} … {% endsnapshot %}` block of a file. */
  addSnapshotFile(f: FileEntry): void {
    SNAPSHOT_BLOCK.lastIndex = 0;
    let found = false;
    for (let m = SNAPSHOT_BLOCK.exec(f.text); m !== null; m = SNAPSHOT_BLOCK.exec(f.text)) {
      found = true;
      this.addSnapshot(f, m[1] as string, lineAt(f.text, m.index), m[2] as string);
    }
    if (!found && f.text.trim() !== '') {
      this.ctx.issues.push({
        code: 'TEMPLATE_ERROR',
        severity: 'error',
        message: 'a snapshot file holds {% snapshot name %} … {% endsnapshot %} blocks; none found.',
        file: f.file,
        line: 1,
      });
    }
  }

  /**
   * dbt 1.9's snapshots defined in a property file: `snapshots: [{ name, relation: ref('x'), config: … }]` is the
   * snapshot `select * from {{ ref('x') }}`, placed at the entry's line. A name that also has a SQL snapshot is a
   * DUPLICATE_NAME.
   */
  addYamlSnapshots(propertyFiles: readonly FileEntry[]): void {
    for (const props of this.properties.snapshots.values()) {
      if (props.relation === undefined) continue;
      const file = propertyFiles.find((f) => f.file === props.place.source.file);
      if (file === undefined) continue;
      const line = props.place.source.lineOf([...props.place.path, 'relation']) ?? 1;
      this.addSnapshot(file, props.name, line, `select * from {{ ${props.relation} }}`);
    }
  }

  private addSnapshot(f: FileEntry, name: string, startLine: number, block: string): void {
    const id = `snapshot.${this.settings.projectName}.${name}`;
    // Pad with newlines so template errors report the line in the file.
    const body = '\n'.repeat(startLine - 1) + block;
    let template: CompiledTemplate;
    try {
      template = this.ctx.engine.compile(body, f.file, this.settings.projectName);
    } catch (error) {
      this.parser.templateIssue(error, f.file, startLine);
      const props = this.properties.snapshots.get(name);
      if (props) this.usedProps.add(props);
      return;
    }
    const record = this.parser.render(template, f.file, body, name, id);
    const admitted = this.admit({ kind: 'snapshot', name, id, file: f, line: startLine, record });
    if (admitted === undefined) return;
    const { config, props } = admitted;
    this.checkSnapshotConfig(name, config, f.file, startLine);
    this.ctx.templates.set(id, template);
    this.snapshots.push({
      id,
      kind: 'snapshot',
      name,
      file: f.file,
      line: startLine,
      fqn: [this.settings.projectName, ...f.folders, name],
      description: props?.description ?? '',
      tags: (config.tags as string[] | undefined) ?? [],
      dependsOn: [],
      config,
      rawSql: block,
      columns: props?.columns ?? [],
    });
    this.pending.push({ id, file: f.file, record, text: body });
  }

  /**
   * Resolve a model's or snapshot's config and claim its name. `undefined` when it is disabled (set aside, so a
   * ref to it says so) or its name is taken.
   */
  private admit(
    candidate: Candidate,
  ): { config: Record<string, unknown>; props: NodeProperties | undefined } | undefined {
    const { kind, name, file } = candidate;
    const props = (
      kind === 'model' ? this.properties.models : kind === 'seed' ? this.properties.seeds : this.properties.snapshots
    ).get(name);
    if (props) this.usedProps.add(props);
    const folders =
      kind === 'model'
        ? this.settings.folders.models
        : kind === 'seed'
          ? this.settings.folders.seeds
          : this.settings.folders.snapshots;
    const config = this.finalConfig(candidate, folders.configs.resolve(file.folders, name), props);
    if (config.enabled === false) {
      this.disabled.set(name, file.file);
      return undefined;
    }
    if (!this.claimName(name, candidate.id, file.file, candidate.line)) return undefined;
    return { config, props };
  }

  /** Folder configs, then the property file's `config:` and `tags:`, then the node's own `config()`. */
  private finalConfig(
    candidate: Candidate,
    base: Record<string, unknown>,
    props: NodeProperties | undefined,
  ): Record<string, unknown> {
    const { kind, name, record } = candidate;
    const { file, text } = candidate.file;
    let config = base;
    if (props) {
      const lineOf = (key: string) => props.place.source.lineOf([...props.place.path, 'config', key], true);
      // dbt renders the YAML's config values (var(), env_var(), target) before it validates them.
      const rendered = this.parser.renderYamlConfig(props.config, props.place.source.file, lineOf);
      const fromProps = validateConfig(kind, rendered, {
        file: props.place.source.file,
        lineOf,
        what: `config of ${kind} ${name} in ${props.place.source.file}`,
      });
      this.ctx.issues.push(...fromProps.issues);
      config = mergeConfig(config, fromProps.config);
      if (props.tags.length > 0) config = mergeConfig(config, { tags: props.tags });
    }
    const own = validateConfig(kind, record.config, {
      file,
      lineOf: (key) =>
        lineOfMatch(text, new RegExp(`\\b${escapeRegExp(key)}\\s*=`)) ?? lineOfMatch(text, /\bconfig\s*\(/),
      what: `config() of ${kind} ${name}`,
    });
    this.ctx.issues.push(...own.issues);
    return mergeConfig(config, own.config);
  }

  private claimName(name: string, id: string, file: string, line: number | undefined): boolean {
    const previous = this.names.get(name);
    if (previous) {
      this.ctx.issues.push({
        code: 'DUPLICATE_NAME',
        severity: 'error',
        message: `two models, seeds or snapshots are named ${name}: ${previous.file} and ${file}. Names must be unique (they are the table names); rename one.`,
        file,
        ...atLine(line),
      });
      return false;
    }
    this.names.set(name, { id, file });
    return true;
  }

  /** A snapshot needs `unique_key`, `strategy`, and `updated_at` or `check_cols` as its strategy wants. */
  private checkSnapshotConfig(name: string, config: Record<string, unknown>, file: string, line: number): void {
    const problems: string[] = [];
    if (config.unique_key === undefined) problems.push('unique_key');
    if (config.strategy === undefined) problems.push("strategy ('timestamp' or 'check')");
    if (config.strategy === 'timestamp' && config.updated_at === undefined)
      problems.push('updated_at (the timestamp strategy needs it)');
    if (config.strategy === 'check' && config.check_cols === undefined)
      problems.push("check_cols (a list of columns, or 'all')");
    if (problems.length > 0) {
      this.ctx.issues.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: `snapshot ${name} needs config ${problems.join(', ')}.`,
        file,
        line,
      });
    }
  }

  /** Property-file entries for a model or snapshot that does not exist (UNKNOWN_NODE, with the closest names). */
  checkUnusedProperties(): void {
    for (const [map, kind] of [
      [this.properties.models, 'model'],
      [this.properties.snapshots, 'snapshot'],
      [this.properties.seeds, 'seed'],
    ] as const) {
      for (const props of map.values()) {
        if (this.usedProps.has(props) || this.disabled.has(props.name)) continue;
        const line = props.place.source.lineOf([...props.place.path, 'name']);
        const suggestions = closestNames(props.name, this.names.keys());
        this.ctx.issues.push({
          code: 'UNKNOWN_NODE',
          severity: 'error',
          message: `${props.place.source.file} describes ${kind} ${props.name}, but there is no ${kind === 'seed' ? 'seed (.csv)' : kind} file of that name.${didYouMean(suggestions)}`,
          file: props.place.source.file,
          ...atLine(line),
          suggestions,
        });
      }
    }
  }
}
