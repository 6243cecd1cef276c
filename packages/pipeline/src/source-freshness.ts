import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkSourceFreshness, freshnessArtifact, type FreshnessRun } from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { loadModels, modelTarget } from './build-models.js';
import type { LoadedProject, TargetConfig } from './project-config.js';

export interface SourceFreshnessOptions {
  readonly project: LoadedProject;
  readonly warehouse: Warehouse;
  readonly target: { readonly name: string; readonly config: TargetConfig };
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
}

export interface SourceFreshnessResult {
  readonly run: FreshnessRun;
  /** `target/sources.json`. */
  readonly artifact: string;
}

/**
 * dbt's `source freshness`: check every selected source table that has a `freshness:` rule against the warehouse
 * (`max(loaded_at_field)` against `warn_after` / `error_after`) and write `target/sources.json`. Reads the
 * warehouse only; never the source database.
 *
 * @example const { run } = await sourceFreshness({ project, warehouse, target: resolveTarget(project) });
 */
export async function sourceFreshness(options: SourceFreshnessOptions): Promise<SourceFreshnessResult> {
  const models = await loadModels(options.project, options.env, options.vars);
  const run = await checkSourceFreshness(models, options.warehouse, {
    target: modelTarget(options.target),
    ...(options.select ? { select: options.select } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    tag: 'sluice source freshness',
  });
  const artifact = path.join(options.project.dir, 'target', 'sources.json');
  await mkdir(path.dirname(artifact), { recursive: true });
  await writeFile(artifact, `${JSON.stringify(freshnessArtifact(run), null, 2)}\n`);
  return { run, artifact };
}
