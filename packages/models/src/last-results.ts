import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from './run-project.js';

/** One node's last result, as the docs page shows it. */
export interface LastResult {
  /** Sluice's or dbt's status: `success`, `pass`, `warn`, `fail`, `error`, `skipped`, `cancelled`. */
  readonly status: string;
  readonly message: string;
  readonly failures?: number;
  readonly compiledSql?: string;
  /** Tests: up to five failing rows (known for the run just finished; run_results.json has none). */
  readonly samples?: readonly Readonly<Record<string, unknown>>[];
}

/** The results of the last run: by node id, when they were produced and where they were read from. */
export interface LastResults {
  /** ISO time the run finished (run_results.json's `metadata.generated_at`). */
  readonly producedAt: string;
  /** `this run`, or the file they were read from (`target/run_results.json`). */
  readonly source: string;
  readonly byId: ReadonlyMap<string, LastResult>;
}

/** The results of a run just finished. */
export function lastResultsFromRun(run: RunResult): LastResults {
  return {
    producedAt: run.finishedAt,
    source: 'this run',
    byId: new Map(
      run.results.map((r) => [
        r.id,
        {
          status: r.status,
          message: r.message,
          ...(r.failures === undefined ? {} : { failures: r.failures }),
          ...(r.compiledSql === undefined ? {} : { compiledSql: r.compiledSql }),
          ...(r.samples === undefined || r.samples.length === 0 ? {} : { samples: r.samples }),
        },
      ]),
    ),
  };
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * The results of a dbt `run_results.json` (v4–v6, as Sluice and dbt write it), or undefined when the value is not
 * one (no `results` list). Entries without a `unique_id` or `status` are left out.
 */
export function lastResultsFromRunResults(json: unknown, source: string): LastResults | undefined {
  const root = record(json);
  if (root === undefined || !Array.isArray(root.results)) return undefined;
  const generatedAt = record(root.metadata)?.generated_at;
  const byId = new Map<string, LastResult>();
  for (const entry of root.results) {
    const r = record(entry);
    if (r === undefined || typeof r.unique_id !== 'string' || typeof r.status !== 'string') continue;
    byId.set(r.unique_id, {
      // dbt writes `runtime error` in older schemas; the page shows it as an error.
      status: r.status === 'runtime error' ? 'error' : r.status,
      message: typeof r.message === 'string' ? r.message : '',
      ...(typeof r.failures === 'number' ? { failures: r.failures } : {}),
      ...(typeof r.compiled_code === 'string' ? { compiledSql: r.compiled_code } : {}),
    });
  }
  return { producedAt: typeof generatedAt === 'string' ? generatedAt : 'an unknown time', source, byId };
}

/**
 * Read `run_results.json` under a target folder (what the last `build`, `run`, `test` or `seed` wrote), for the docs
 * page `docs generate` writes. Nothing when there is no such file; a `warning` (naming the file) when it cannot be read.
 */
export async function readLastResults(targetDir: string): Promise<{ results?: LastResults; warning?: string }> {
  const file = path.join(targetDir, 'run_results.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { warning: `${file}: could not be read (${(error as Error).message}); the docs page shows no results` };
  }
  let results: LastResults | undefined;
  try {
    results = lastResultsFromRunResults(JSON.parse(text), 'target/run_results.json');
  } catch (error) {
    return { warning: `${file}: not JSON (${(error as Error).message}); the docs page shows no results` };
  }
  return results === undefined
    ? { warning: `${file}: no \`results\` list, not a run_results file; the docs page shows no results` }
    : { results };
}
