import path from 'node:path';
import {
  openStateStore,
  openWarehouse,
  runPipeline,
  type PipelineEvent,
  type PipelineRunResult,
  type PipelineStep,
} from '@sluice/pipeline';
import type { RunTestsMode } from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { describeHolder, StateError, type StateStore } from '@sluice/watermark';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { preflight, type Checked } from '../preflight.js';
import { createRunProgress, SILENT_PROGRESS, type RunProgress } from '../run-progress.js';
import { exitCodeOf, jsonText, pipelineJson, summaryLines } from '../run-result.js';
import { abortOnSignals } from '../signals.js';

/** The flags `run`, `ingest`, `build`, `models run` and `test` share. */
export interface RunCommandOptions {
  readonly project: string;
  readonly target?: string;
  readonly table?: readonly string[];
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  readonly json: boolean;
}

const STEPS: Record<'run' | 'ingest' | 'build', readonly PipelineStep[]> = {
  run: ['ingest', 'build'],
  ingest: ['ingest'],
  build: ['build'],
};

/**
 * `sluice run` (ingest → models and tests), `sluice ingest` and `sluice build`: one pipeline run through
 * `runPipeline`, exactly as the scheduler runs it (run lock, run history). The project, the models and each
 * table's config against the live source are checked first; a problem there stops it before anything is written.
 */
export async function pipelineCommand(
  command: 'run' | 'ingest' | 'build',
  options: RunCommandOptions,
  out: Output,
): Promise<number> {
  const steps = STEPS[command];
  const checked = await preflight({
    project: options.project,
    target: options.target,
    tables: options.table,
    models: steps.includes('build'),
    select: options.select,
    exclude: options.exclude,
    source: steps.includes('ingest'),
  });
  const { project, target } = checked;
  reportWarnings(checked, out);
  if (!options.json) {
    const tables = options.table?.length ? options.table.length : Object.keys(project.config.tables).length;
    out.line(
      out.dim(
        `sluice ${command} · project ${project.config.name} (${displayPath(project.dir) || '.'}) · target ${target.name} (${target.config.type})` +
          (steps.includes('ingest') ? ` · ${tables} table${tables === 1 ? '' : 's'}` : '') +
          (steps.includes('build') && !checked.models ? ' · no models/ folder' : ''),
      ),
    );
  }
  return runAndReport(checked, command, options, out, {
    tables: options.table?.length ? options.table : Object.keys(project.config.tables),
    cancelling: 'cancelling the running work and recording the run',
    steps,
    showEvent: (progress, event) => progress.pipeline(event),
  });
}

/**
 * `sluice models run` (models only, dbt's `run`) and `sluice test` (tests only, dbt's `test`): `runPipeline`'s
 * build step alone, so the run lock, the run record and how the run ends are those of every other run.
 */
export async function modelsCommand(
  command: 'models run' | 'test',
  options: RunCommandOptions,
  out: Output,
): Promise<number> {
  const checked = await preflight({
    project: options.project,
    target: options.target,
    models: true,
    select: options.select,
    exclude: options.exclude,
  });
  const { project, target } = checked;
  if (!checked.models)
    throw new CliError(
      `no models/ folder in ${displayPath(project.dir) || '.'}: nothing to ${command === 'test' ? 'test' : 'run'}`,
      EXIT.usage,
    );
  reportWarnings(checked, out);
  if (!options.json)
    out.line(
      out.dim(`sluice ${command} · project ${project.config.name} · target ${target.name} (${target.config.type})`),
    );
  return runAndReport(checked, command, options, out, {
    tables: [],
    cancelling: 'cancelling the running statements',
    steps: ['build'],
    runTests: command === 'test' ? 'only' : 'none',
    // The model runner's lines only: no step headings, as dbt's `run` and `test` print.
    showEvent: (progress, event) => {
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
    readonly showEvent: (progress: RunProgress, event: PipelineEvent) => void;
  },
): Promise<number> {
  const { project, target } = checked;
  return withWarehouse(checked, async (warehouse, state) => {
    const progress: RunProgress = options.json
      ? SILENT_PROGRESS
      : createRunProgress(out, { tables: run.tables, nodes: nodeNames(checked) });
    const { signal, dispose } = abortOnSignals((name) =>
      out.error(`\n${name}: ${run.cancelling} (Ctrl-C again to quit at once)…`),
    );
    let result: PipelineRunResult;
    try {
      result = await runPipeline({
        project,
        warehouse,
        state,
        workDir: path.join(project.dir, '.sluice', 'work'),
        trigger: 'cli',
        holder: `sluice ${command}`,
        command,
        target,
        steps: run.steps,
        ...(run.runTests ? { runTests: run.runTests } : {}),
        signal,
        onEvent: (event) => run.showEvent(progress, event),
        ...(options.table?.length ? { tables: options.table } : {}),
        ...(options.select?.length ? { select: options.select } : {}),
        ...(options.exclude?.length ? { exclude: options.exclude } : {}),
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.fullRefresh ? { fullRefresh: true } : {}),
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
