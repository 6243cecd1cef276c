import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  buildModels,
  openStateStore,
  openWarehouse,
  RUN_LOCK,
  runPipeline,
  type BuildResult,
  type PipelineRunResult,
  type PipelineStep,
} from '@sluice/pipeline';
import type { RunTestsMode } from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { describeHolder, StateError, type JsonObject, type RunStatus, type StateStore } from '@sluice/watermark';
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
  return withWarehouse(checked, async (warehouse, state) => {
    const progress: RunProgress = options.json
      ? SILENT_PROGRESS
      : createRunProgress(out, {
          tables: options.table?.length ? options.table : Object.keys(project.config.tables),
          nodes: nodeNames(checked),
        });
    const { signal, dispose } = abortOnSignals((name) =>
      out.error(`\n${name}: cancelling the running work and recording the run (Ctrl-C again to quit at once)…`),
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
        target,
        steps,
        signal,
        onEvent: (event) => progress.pipeline(event),
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

/**
 * `sluice models run` (models only, dbt's `run`) and `sluice test` (tests only, dbt's `test`): the model runner
 * without ingesting, under the same run lock and recorded in the same run history as a pipeline run.
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
  const runTests: RunTestsMode = command === 'test' ? 'only' : 'none';
  return withWarehouse(checked, async (warehouse, state) => {
    const progress: RunProgress = options.json
      ? SILENT_PROGRESS
      : createRunProgress(out, { tables: [], nodes: nodeNames(checked) });
    const { signal, dispose } = abortOnSignals((name) =>
      out.error(`\n${name}: cancelling the running statements (Ctrl-C again to quit at once)…`),
    );
    const runId = randomUUID();
    const startedAt = new Date();
    let lock;
    try {
      lock = await state.acquireLock(RUN_LOCK, { holder: `sluice ${command}` });
    } catch (error) {
      dispose();
      throw lockHeld(error) ?? error;
    }
    let build: BuildResult | undefined;
    let error: PipelineRunResult['error'];
    try {
      await state.saveRun({ id: runId, trigger: 'cli', status: 'running', startedAt, detail: { command } });
      build = await buildModels({
        project,
        warehouse,
        target,
        runTests,
        signal,
        onEvent: (event) => progress.build(event),
        ...(options.select?.length ? { select: options.select } : {}),
        ...(options.exclude?.length ? { exclude: options.exclude } : {}),
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.fullRefresh ? { fullRefresh: true } : {}),
      });
    } catch (caught) {
      error = {
        code: (caught as { code?: string }).code ?? 'RUN_FAILED',
        message: caught instanceof Error ? caught.message : String(caught),
      };
    } finally {
      progress.close();
      dispose();
    }
    const status: RunStatus =
      signal.aborted || build?.run.status === 'cancelled'
        ? 'interrupted'
        : error || build?.run.status !== 'success'
          ? 'failed'
          : 'success';
    if (!error && build && status === 'failed') {
      const failed = build.run.results.filter((r) => r.status === 'error' || r.status === 'fail');
      error = {
        code: 'BUILD_FAILED',
        message: `${failed.length} model(s) or test(s) failed: ${failed.map((r) => r.name).join(', ')}`,
      };
    }
    const endedAt = new Date();
    try {
      await state.saveRun({
        id: runId,
        trigger: 'cli',
        status,
        startedAt,
        endedAt,
        detail: buildDetail(command, build, error),
      });
    } finally {
      await lock.release();
    }
    const result: PipelineRunResult = {
      runId,
      trigger: 'cli',
      status,
      startedAt,
      endedAt,
      ingest: undefined,
      build,
      attempts: { ingest: 0, build: 1 },
      error,
    };
    if (options.json) out.line(jsonText(pipelineJson(command, result, { project: project.dir, target: target.name })));
    else for (const line of summaryLines(result, out, project.dir)) out.line(line);
    return exitCodeOf(status);
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

/** The run record's detail for `models run` / `test`, shaped like a pipeline run's (see runPipeline). */
function buildDetail(command: string, build: BuildResult | undefined, error: PipelineRunResult['error']): JsonObject {
  const results = build?.run.results ?? [];
  return {
    command,
    attempts: { ingest: 0, build: 1 },
    tables: [],
    models: results
      .filter((r) => r.kind !== 'test')
      .map((r) => ({
        name: r.name,
        kind: r.kind,
        status: r.status,
        seconds: Number((r.elapsedMs / 1000).toFixed(3)),
        message: r.message,
      })),
    tests: results
      .filter((r) => r.kind === 'test')
      .map((r) => ({
        name: r.name,
        status: r.status,
        severity: r.severity ?? 'error',
        failures: r.failures ?? 0,
        seconds: Number((r.elapsedMs / 1000).toFixed(3)),
        message: r.message,
      })),
    ...(build ? { lineagePage: build.lineagePage } : {}),
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
  };
}
