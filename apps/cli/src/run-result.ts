import path from 'node:path';
import type { BuildResult, IngestResult, PipelineRunResult } from '@sluice/pipeline';
import type { RunStatus } from '@sluice/watermark';
import { buildReport } from './build-report.js';
import { displayPath } from './config-problems.js';
import { EXIT } from './exit-codes.js';
import { formatBytes, formatCount, formatSeconds } from './format.js';
import type { Output } from './output.js';

/** JSON text for `--json`: bigints as strings (sample rows may hold them), dates as ISO strings. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** The exit code of a run that ended with `status`. */
export function exitCodeOf(status: RunStatus | 'cancelled' | 'error'): number {
  return status === 'success'
    ? EXIT.ok
    : status === 'interrupted' || status === 'cancelled'
      ? EXIT.interrupted
      : EXIT.failed;
}

/** The build part of a JSON result: every node's outcome, without the compiled SQL text (its path is there). */
export function buildJson(build: BuildResult | undefined): unknown {
  if (!build) return null;
  const { run } = build;
  return {
    status: run.status,
    seconds: run.elapsedMs / 1000,
    counts: run.counts,
    results: run.results.map(({ compiledSql: _sql, ...rest }) => rest),
    lineagePage: build.lineagePage,
  };
}

function ingestJson(ingest: IngestResult | undefined): unknown {
  return ingest ? { status: ingest.status, seconds: ingest.seconds, tables: ingest.tables } : null;
}

/** The one JSON object `run`, `ingest` and `build` print with `--json`. */
export function pipelineJson(
  command: string,
  result: PipelineRunResult,
  context: { project: string; target: string },
): unknown {
  return {
    command,
    status: result.status,
    exitCode: exitCodeOf(result.status),
    runId: result.runId,
    project: context.project,
    target: context.target,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    seconds: (result.endedAt.getTime() - result.startedAt.getTime()) / 1000,
    ingest: ingestJson(result.ingest),
    build: buildJson(result.build),
    error: result.error ?? null,
  };
}

/** The closing lines of a run: totals of the ingest, failures and counts of the build, how it ended. */
export function summaryLines(result: PipelineRunResult, out: Output, projectDir: string): string[] {
  const lines: string[] = [''];
  if (result.ingest) {
    const tables = result.ingest.tables;
    const rows = tables.reduce((sum, table) => sum + table.rows, 0);
    const bytes = tables.reduce((sum, table) => sum + table.bytes, 0);
    const count = (status: string) => tables.filter((table) => table.status === status).length;
    const parts = [`${count('success')} loaded`, `${count('unchanged')} unchanged`];
    if (count('failed')) parts.push(out.red(`${count('failed')} failed`));
    if (count('cancelled')) parts.push(`${count('cancelled')} cancelled`);
    lines.push(
      `tables: ${parts.join(', ')} — ${formatCount(rows)} rows, ${formatBytes(bytes)} in ${formatSeconds(result.ingest.seconds)}`,
    );
  }
  if (result.build) {
    for (const line of buildReport(result.build, out)) {
      lines.push(
        line.startsWith('lineage page: ')
          ? `lineage page: ${displayPath(path.resolve(projectDir, line.slice(14)))}`
          : line,
      );
    }
  }
  const seconds = (result.endedAt.getTime() - result.startedAt.getTime()) / 1000;
  const status =
    result.status === 'success'
      ? out.green('success')
      : result.status === 'interrupted'
        ? out.yellow('interrupted')
        : out.red(result.status);
  lines.push(`run ${result.runId.slice(0, 8)} ${status} in ${formatSeconds(seconds)}`);
  if (
    result.error &&
    result.status !== 'success' &&
    result.error.code !== 'BUILD_FAILED' &&
    result.error.code !== 'TABLES_FAILED'
  ) {
    lines.push(out.red(`  [${result.error.code}] ${result.error.message}`));
  }
  return lines;
}
