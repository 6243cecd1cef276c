import path from 'node:path';
import {
  hasIngestion,
  openStateStore,
  openWarehouse,
  runPipeline,
  type StateFlags,
  sluiceFilesDir,
  type PipelineEvent,
  type PipelineRunResult,
  type PipelineStep,
} from '@sluice/pipeline';
import type { RunnableKind, RunTestsMode } from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { describeHolder, StateError, type StateStore } from '@sluice/watermark';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { preflight, type Checked } from '../preflight.js';
import { createRunProgress, SILENT_PROGRESS, type RunProgress } from '../run-progress.js';
import { exitCodeOf, jsonText, pipelineJson, summaryLines } from '../run-result.js';
import { abortOnSignals } from '../signals.js';

/** The flags the running verbs share. */
export interface RunCommandOptions {
  readonly project: string;
  readonly target?: string;
  readonly profilesDir?: string;
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly table?: readonly string[];
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  /** `--all` (run, build): build every selected node instead of only what changed. */
  readonly all?: boolean;
  /** `--no-ingest` (run, build): do not bring the raw tables up to date first. */
  readonly ingest?: boolean;
  /** `--state DIR`, `--defer`, `--favor-state`. */
  readonly state?: StateFlags;
  /** `--indirect-selection empty`: only the selected tests (what `sluice retry` passes). */
  readonly indirectSelection?: 'eager' | 'empty';
  readonly json: boolean;
}

/** The verbs that run something: dbt's, plus `ingest`. */
export type RunVerb = 'run' | 'build' | 'test' | 'seed' | 'snapshot' | 'ingest';

/**
 * THE VERB RULE. Every dbt verb does what dbt does; `run` and `build` — the two that build models — first bring
 * the raw tables up to date when sluice.yml configures ingestion (`--no-ingest` skips that). `ingest` only loads.
 * No other verb touches the source.
 */
export const VERBS: Record<
  RunVerb,
  {
    readonly ingests: boolean;
    readonly builds: boolean;
    readonly runTests: RunTestsMode;
    readonly resourceTypes: readonly RunnableKind[];
    /** The heading of the build step's lines. */
    readonly heading: string;
  }
> = {
  run: { ingests: true, builds: true, runTests: 'none', resourceTypes: ['model'], heading: 'Models' },
  build: {
    ingests: true,
    builds: true,
    runTests: 'after-each-model',
    resourceTypes: ['seed', 'model', 'snapshot', 'test'],
    heading: 'Models and tests',
  },
  test: { ingests: false, builds: true, runTests: 'only', resourceTypes: ['test'], heading: 'Tests' },
  seed: { ingests: false, builds: true, runTests: 'none', resourceTypes: ['seed'], heading: 'Seeds' },
  snapshot: { ingests: false, builds: true, runTests: 'none', resourceTypes: ['snapshot'], heading: 'Snapshots' },
  ingest: { ingests: true, builds: false, runTests: 'none', resourceTypes: [], heading: 'Ingest' },
};

/**
 * A running verb (`run`, `build`, `test`, `seed`, `snapshot`, `ingest`): one `runPipeline` run, exactly as the
 * scheduler runs it (run lock, run history), with the steps and node kinds of THE VERB RULE (`VERBS`). The project,
 * the models and — when the run ingests — each table's config against the live source are checked first; a
 * problem there stops it before anything is written. `command` is what the run record keeps (a deprecated alias
 * keeps its own name).
 */
export async function verbCommand(
  verb: RunVerb,
  options: RunCommandOptions,
  out: Output,
  command: string = verb,
): Promise<number> {
  const rule = VERBS[verb];
  const wantsIngest = rule.ingests && options.ingest !== false;
  const checked = await preflight({
    project: options.project,
    target: options.target,
    profilesDir: options.profilesDir,
    vars: options.vars,
    tables: wantsIngest ? options.table : undefined,
    models: rule.builds,
    select: options.select,
    exclude: options.exclude,
    state: options.state?.dir,
    source: wantsIngest,
  });
  const { project, target } = checked;
  if (options.table?.length && !wantsIngest)
    throw new CliError(
      `--table selects tables to ingest, and sluice ${command}${options.ingest === false ? ' --no-ingest' : ''} ingests nothing`,
      EXIT.usage,
    );
  if (verb === 'ingest' && !hasIngestion(project))
    throw new CliError(
      `nothing to ingest: ${displayPath(project.file)} lists no tables: (add source: and tables:, or run sluice init --from postgres://…)`,
      EXIT.usage,
    );
  const ingests = wantsIngest && hasIngestion(project);
  if (rule.builds && !checked.models && !ingests)
    throw new CliError(
      `no models, seeds or snapshots in ${displayPath(project.dir) || '.'} (no dbt_project.yml and no models/ folder): nothing to ${verb}`,
      EXIT.usage,
    );
  reportWarnings(checked, out);
  const steps: PipelineStep[] = [
    ...(ingests ? (['ingest'] as const) : []),
    ...(rule.builds ? (['build'] as const) : []),
  ];
  if (!options.json) {
    const tables = options.table?.length ? options.table.length : Object.keys(project.config.tables).length;
    out.line(
      out.dim(
        `sluice ${command} · project ${project.config.name} (${displayPath(project.dir) || '.'}) · target ${target.name} (${target.config.type})` +
          (ingests ? ` · ${tables} table${tables === 1 ? '' : 's'}` : '') +
          (rule.builds && !checked.models ? ' · no models' : ''),
      ),
    );
  }
  return runAndReport(checked, command, options, out, {
    tables: ingests ? (options.table?.length ? options.table : Object.keys(project.config.tables)) : [],
    cancelling: ingests ? 'cancelling the running work and recording the run' : 'cancelling the running statements',
    steps,
    runTests: rule.runTests,
    resourceTypes: rule.resourceTypes,
    heading: rule.heading,
    // With ingestion, each step under its heading; a dbt verb alone prints the model runner's lines, as dbt does.
    showEvent: ingests
      ? (progress, event) => progress.pipeline(event)
      : (progress, event) => {
          if (event.type === 'build') progress.build(event.event);
        },
  });
}

/**
 * Run `runPipeline` for a CLI command and print its result: progress on the terminal (nothing with `--json`),
 * Ctrl-C cancels and the run is still recorded, a held run lock is said plainly. The exit code of the run.
 */
async function runAndReport(
  checked: Checked,
  command: string,
  options: RunCommandOptions,
  out: Output,
  run: {
    readonly tables: readonly string[];
    readonly cancelling: string;
    readonly steps: readonly PipelineStep[];
    readonly runTests?: RunTestsMode;
    readonly resourceTypes?: readonly RunnableKind[];
    readonly heading: string;
    readonly showEvent: (progress: RunProgress, event: PipelineEvent) => void;
  },
): Promise<number> {
  const { project, target } = checked;
  return withWarehouse(checked, async (warehouse, state) => {
    const progress: RunProgress = options.json
      ? SILENT_PROGRESS
      : createRunProgress(out, { tables: run.tables, nodes: nodeNames(checked), buildHeading: run.heading });
    const { signal, dispose } = abortOnSignals((name) =>
      out.error(`\n${name}: ${run.cancelling} (Ctrl-C again to quit at once)…`),
    );
    let result: PipelineRunResult;
    try {
      result = await runPipeline({
        project,
        warehouse,
        state,
        workDir: path.join(sluiceFilesDir(project), 'work'),
        trigger: 'cli',
        holder: `sluice ${command}`,
        command,
        target,
        steps: run.steps,
        ...(run.runTests ? { runTests: run.runTests } : {}),
        ...(run.resourceTypes ? { resourceTypes: run.resourceTypes } : {}),
        ...(options.vars ? { vars: options.vars } : {}),
        signal,
        onEvent: (event) => run.showEvent(progress, event),
        ...(options.table?.length ? { tables: options.table } : {}),
        ...(options.select?.length ? { select: options.select } : {}),
        ...(options.exclude?.length ? { exclude: options.exclude } : {}),
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.fullRefresh ? { fullRefresh: true } : {}),
        ...(options.all ? { all: true } : {}),
        ...(options.state ? { stateArtifacts: options.state } : {}),
        ...(options.indirectSelection ? { indirectSelection: options.indirectSelection } : {}),
        // --full-refresh on a dbt verb is dbt's (models, seeds); only `sluice ingest --full-refresh` reloads tables.
        ...(command === 'ingest' ? {} : { ingestFullRefresh: false }),
      });
    } catch (error) {
      throw lockHeld(error) ?? error;
    } finally {
      progress.close();
      dispose();
    }
    if (options.json) out.line(jsonText(pipelineJson(command, result, { project: project.dir, target: target.name })));
    else for (const line of summaryLines(result, out, project.dir)) out.line(line);
    return exitCodeOf(result.status);
  });
}

/** Open the target's warehouse and the state store for `work`, and close both afterwards. */
export async function withWarehouse(
  checked: Checked,
  work: (warehouse: Warehouse, state: StateStore) => Promise<number>,
): Promise<number> {
  const warehouse = await openWarehouse(checked.project, checked.target.config);
  const state = openStateStore(checked.project);
  try {
    return await work(warehouse, state);
  } finally {
    await warehouse.close().catch(() => undefined);
    await state.close().catch(() => undefined);
  }
}

function nodeNames(checked: Checked): string[] {
  return checked.models
    ? [...checked.models.nodes.values()].filter((node) => node.kind !== 'source').map((node) => node.name)
    : [];
}

function reportWarnings(checked: Checked, out: Output): void {
  for (const warning of checked.warnings) out.error(out.yellow(`warning: ${warning}`));
}

/** A held run lock, said plainly: who holds it, and that nothing was done. */
export function lockHeld(error: unknown): CliError | undefined {
  if (!(error instanceof StateError) || error.code !== 'LOCK_HELD') return undefined;
  const who = error.holder ? describeHolder(error.holder) : 'another process';
  return new CliError(
    `another run is in progress (the run lock is held by ${who}); nothing was run. Wait for it to finish, or see sluice status.`,
    EXIT.failed,
  );
}
