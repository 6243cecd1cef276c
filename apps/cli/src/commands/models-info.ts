import { existsSync } from 'node:fs';
import path from 'node:path';
import { manifestNodeEntries, resourceTypeOf, selectNodes, type Project, type ProjectNode } from '@sluice/models';
import { compileModels, modelTarget, targetEngine, type StateFlags } from '@sluice/pipeline';
import type { Warehouse } from '@sluice/warehouse';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable } from '../format.js';
import type { Output } from '../output.js';
import { preflight, type Checked } from '../preflight.js';
import { jsonText } from '../run-result.js';

export interface SelectCommandOptions {
  readonly project: string;
  readonly target?: string;
  readonly profilesDir?: string;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly resourceType?: readonly string[];
  /** dbt's `ls --output`: one line per node, as dbt prints it. */
  readonly output?: string;
  /** dbt's `--output-keys`: the manifest keys `--output json` prints. */
  readonly outputKeys?: readonly string[];
  /** `--state DIR` (with `--defer`, `--favor-state`: compile only). */
  readonly state?: StateFlags;
  readonly json: boolean;
}

const LS_OUTPUTS = ['json', 'name', 'path', 'selector'];
/** The keys dbt's `ls --output json` prints without `--output-keys` (its ListTask.ALLOWED_KEYS). */
const LS_JSON_KEYS = [
  'alias',
  'name',
  'package_name',
  'depends_on',
  'tags',
  'config',
  'resource_type',
  'source_name',
  'original_file_path',
  'unique_id',
];

/** `--output` / `--output-keys` checked before the project is read: a bad value is a usage error. */
function checkLsOutput(options: SelectCommandOptions): void {
  if (options.output !== undefined && !LS_OUTPUTS.includes(options.output))
    throw new CliError(`--output ${options.output}: expected one of ${LS_OUTPUTS.join(', ')}`, EXIT.usage);
  if (options.output !== undefined && options.json)
    throw new CliError(
      "--output and --json: pick one (--output prints dbt's lines, --json Sluice's one object)",
      EXIT.usage,
    );
  if (options.outputKeys?.length && options.output !== 'json')
    throw new CliError('--output-keys names the keys of --output json: add --output json', EXIT.usage);
}

/** dbt's `ls --output …` lines: nodes sorted by unique id, each as a selector, a name, a path or a JSON object. */
function dbtLsLines(
  project: Project,
  nodes: readonly ProjectNode[],
  target: Parameters<typeof manifestNodeEntries>[2],
  output: string,
  keys: readonly string[],
): string[] {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries = manifestNodeEntries(project, sorted, target);
  return entries.map((entry, i) => {
    const node = sorted[i] as ProjectNode;
    const sourceName = node.kind === 'source' ? node.sourceName : undefined;
    switch (output) {
      case 'name':
        return sourceName === undefined ? node.name : `${sourceName}.${node.name}`;
      case 'path':
        return node.file;
      case 'json':
        return JSON.stringify(Object.fromEntries(Object.entries(entry).filter(([key]) => keys.includes(key))));
      default:
        return sourceName === undefined
          ? node.fqn.join('.')
          : `source:${String(entry.package_name)}.${sourceName}.${node.name}`;
    }
  });
}

const KINDS = ['seed', 'model', 'snapshot', 'test', 'unit_test', 'source'];

async function checkedModels(
  options: SelectCommandOptions,
): Promise<Checked & { models: NonNullable<Checked['models']> }> {
  const checked = await preflight({
    project: options.project,
    target: options.target,
    profilesDir: options.profilesDir,
    vars: options.vars,
    models: true,
    select: options.select,
    exclude: options.exclude,
    state: options.state?.dir,
  });
  if (!checked.models)
    throw new CliError(
      `no models, seeds or snapshots in ${displayPath(checked.project.dir) || '.'} (no dbt_project.yml and no models/ folder): there is nothing to list`,
      EXIT.usage,
    );
  for (const warning of checked.warnings) process.stderr.write(`warning: ${warning}\n`);
  return checked as Checked & { models: NonNullable<Checked['models']> };
}

/** What a node is, in one word: a model's materialization, a test's name, a snapshot's strategy. */
function detailOf(node: ProjectNode): string {
  switch (node.kind) {
    case 'model':
      return node.materialized;
    case 'seed':
      return 'seed';
    case 'snapshot':
      return `snapshot (${String(node.config.strategy ?? 'timestamp')})`;
    case 'test':
      if (node.unit !== undefined) return `unit test of ${node.unit.model.split('.').at(-1) ?? ''}`;
      return node.testType === 'generic' ? (node.testName ?? 'generic') : 'singular';
    case 'source':
      return `${node.schema}.${node.identifier}`;
  }
}

/** `sluice ls`: the nodes a selection picks, in the order they would run. Reads files only. */
export async function lsCommand(options: SelectCommandOptions, out: Output): Promise<number> {
  const types = options.resourceType ?? [];
  const unknown = types.filter((type) => !KINDS.includes(type));
  if (unknown.length > 0)
    throw new CliError(`--resource-type ${unknown.join(', ')}: expected ${KINDS.join(', ')}`, EXIT.usage);
  checkLsOutput(options);
  const { models, state, target } = await checkedModels(options);
  const selection = selectNodes(models, {
    ...(options.select?.length ? { select: options.select } : {}),
    ...(options.exclude?.length ? { exclude: options.exclude } : {}),
    ...(state ? { state } : {}),
  });
  const nodes = selection.nodes.filter((node) => types.length === 0 || types.includes(resourceTypeOf(node)));
  if (options.output !== undefined) {
    const keys = options.outputKeys?.length ? options.outputKeys : LS_JSON_KEYS;
    for (const line of dbtLsLines(models, nodes, modelTarget(target), options.output, keys)) out.line(line);
    if (nodes.length === 0) out.error('no nodes match the selection');
    return EXIT.ok;
  }
  if (options.json) {
    out.line(
      jsonText({
        command: 'ls',
        count: nodes.length,
        nodes: nodes.map((node) => ({
          id: node.id,
          name: node.name,
          kind: resourceTypeOf(node),
          detail: detailOf(node),
          file: node.file,
          tags: node.tags,
          dependsOn: node.dependsOn,
        })),
      }),
    );
    return EXIT.ok;
  }
  const rows = formatTable(
    ['kind', 'name', 'what', 'file'],
    nodes.map((node) => [resourceTypeOf(node), node.name, detailOf(node), node.file]),
  ).slice(1);
  // One write for the whole list: 10,000 writes to a pipe cost more than the rest of printing it.
  if (rows.length > 0) out.line(rows.join('\n'));
  if (nodes.length === 0) out.error('no nodes match the selection');
  return EXIT.ok;
}

/** The warehouse of the target, when it already exists (a local file: the file is there); never creates one. */
async function existingWarehouse(checked: Checked, out: Output): Promise<Warehouse | undefined> {
  const engine = targetEngine(checked.target.config, checked.project.dir);
  if (engine.localFile !== undefined && !existsSync(engine.localFile)) return undefined;
  try {
    return await engine.open();
  } catch (error) {
    out.error(
      out.yellow(
        `note: the warehouse could not be opened (${error instanceof Error ? error.message : String(error)}); going on without it`,
      ),
    );
    return undefined;
  }
}

/**
 * `sluice compile`: render the selected nodes to SQL under `target/compiled/…` and write the manifest, without
 * running anything. With a single selected node, its SQL is printed.
 */
export async function compileCommand(options: SelectCommandOptions, out: Output): Promise<number> {
  const checked = await checkedModels(options);
  const warehouse = await existingWarehouse(checked, out);
  try {
    const result = await compileModels({
      project: checked.project,
      target: checked.target,
      models: checked.models,
      ...(options.vars ? { vars: options.vars } : {}),
      ...(options.select?.length ? { select: options.select } : {}),
      ...(options.exclude?.length ? { exclude: options.exclude } : {}),
      ...(options.state ? { state: options.state } : {}),
      ...(warehouse ? { warehouse } : {}),
    });
    const compiled = result.selected.flatMap((node) => {
      const found = result.compiled.nodes.get(node.id);
      return found ? [{ node, compiled: found }] : [];
    });
    const targetDir = path.join(checked.project.dir, 'target');
    if (options.json) {
      out.line(
        jsonText({
          command: 'compile',
          count: compiled.length,
          nodes: compiled.map(({ node, compiled: c }) => ({
            id: node.id,
            name: node.name,
            kind: node.kind,
            compiledPath: path.join(targetDir, c.compiledPath),
            sql: c.sql,
          })),
        }),
      );
      return EXIT.ok;
    }
    // One model or snapshot selected (with its tests, as dbt selects them): its SQL is printed, as dbt does.
    const built = compiled.filter(({ node }) => node.kind !== 'test');
    const only = compiled.length === 1 ? compiled[0] : built.length === 1 ? built[0] : undefined;
    if (only) {
      out.line(only.compiled.sql.trimEnd());
      const tests = compiled.length - 1;
      out.error(
        out.dim(
          `(written to ${displayPath(path.join(targetDir, only.compiled.compiledPath))}${tests > 0 ? `; and its ${tests} test${tests === 1 ? '' : 's'} under ${displayPath(path.join(targetDir, 'compiled'))}/` : ''})`,
        ),
      );
    } else {
      out.line(
        `compiled ${compiled.length} node${compiled.length === 1 ? '' : 's'} into ${displayPath(path.join(targetDir, 'compiled'))}/`,
      );
      out.line(`manifest: ${displayPath(path.join(targetDir, 'manifest.json'))}`);
    }
    return EXIT.ok;
  } finally {
    await warehouse?.close().catch(() => undefined);
  }
}

/**
 * `sluice docs generate`: the manifest, the compiled SQL of every node and the lineage page `target/docs/index.html`,
 * without running models. When the warehouse exists, the page shows the columns of what is built.
 */
export async function docsGenerateCommand(options: SelectCommandOptions, out: Output): Promise<number> {
  const checked = await checkedModels(options);
  const warehouse = await existingWarehouse(checked, out);
  try {
    const result = await compileModels({
      project: checked.project,
      target: checked.target,
      models: checked.models,
      ...(options.vars ? { vars: options.vars } : {}),
      ...(warehouse ? { warehouse } : {}),
      docs: true,
    });
    const count = (kind: string) => [...result.models.nodes.values()].filter((node) => node.kind === kind).length;
    if (options.json) {
      out.line(
        jsonText({
          command: 'docs generate',
          lineagePage: result.lineagePage,
          manifest: path.join(checked.project.dir, 'target', 'manifest.json'),
          files: result.artifacts,
          nodes: {
            seeds: count('seed'),
            models: count('model'),
            snapshots: count('snapshot'),
            tests: count('test'),
            sources: count('source'),
          },
          catalog: result.catalog !== undefined,
          results: result.lastResults
            ? { source: result.lastResults.source, producedAt: result.lastResults.producedAt }
            : null,
          ...(result.resultsWarning ? { warnings: [result.resultsWarning] } : {}),
        }),
      );
      return EXIT.ok;
    }
    out.line(
      `documented ${count('model')} models, ${count('seed')} seeds, ${count('snapshot')} snapshots, ${count('test')} tests and ${count('source')} sources` +
        (result.catalog
          ? ' with their columns from the warehouse'
          : ' (no warehouse yet: columns from the property files)'),
    );
    out.line(`manifest:     ${displayPath(path.join(checked.project.dir, 'target', 'manifest.json'))}`);
    out.line(`catalog:      ${displayPath(path.join(checked.project.dir, 'target', 'catalog.json'))}`);
    out.line(`lineage page: ${displayPath(result.lineagePage)}`);
    if (result.resultsWarning) out.error(out.yellow(`warning: ${result.resultsWarning}`));
    out.line(
      result.lastResults
        ? `test marks:   from ${result.lastResults.source}, produced ${result.lastResults.producedAt}`
        : result.resultsWarning
          ? 'test marks:   none (target/run_results.json cannot be used, see the warning): tests show "not run"'
          : 'test marks:   no run results yet (target/run_results.json): tests show "not run"',
    );
    out.line(out.dim('open it in a browser, or run sluice docs serve'));
    return EXIT.ok;
  } finally {
    await warehouse?.close().catch(() => undefined);
  }
}
