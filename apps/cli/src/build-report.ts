import type { NodeResult } from '@sluice/models';
import type { BuildResult } from '@sluice/pipeline';
import { formatSeconds } from './format.js';
import type { Output } from './output.js';

/**
 * A node's message without the ` — compiled SQL: target/…` the model runner appends (the report prints the path on
 * its own line, once).
 */
export function messageWithoutCompiledPath(result: Pick<NodeResult, 'message' | 'compiledPath'>): string {
  if (!result.compiledPath) return result.message;
  return result.message.replace(` — compiled SQL: target/${result.compiledPath}`, '');
}

/**
 * dbt's closing line, counted as dbt counts it (its `interpret_run_result`): ERROR holds errors and test failures,
 * SKIP skipped nodes; Sluice adds REUSED (not rebuilt) and CANCELLED when there are any.
 */
export function dbtStatsLine(results: readonly NodeResult[]): string {
  const ran = results.filter((r) => r.reused === undefined);
  const count = (...statuses: string[]) => ran.filter((r) => statuses.includes(r.status)).length;
  const reused = results.length - ran.length;
  const cancelled = count('cancelled');
  return `Done. PASS=${count('pass', 'success')} WARN=${count('warn')} ERROR=${count('error', 'fail')} SKIP=${count('skipped')}${reused > 0 ? ` REUSED=${reused}` : ''}${cancelled > 0 ? ` CANCELLED=${cancelled}` : ''} TOTAL=${results.length}`;
}

/** Lines summing up a build: each failure and warning with its samples, then counts and the lineage page. */
export function buildReport(build: BuildResult, out: Output): string[] {
  const lines: string[] = [];
  const results = build.run.results;
  for (const result of results) {
    if (result.reused !== undefined && result.status !== 'fail' && result.status !== 'warn') continue;
    const message = messageWithoutCompiledPath(result);
    if (result.status === 'error' || result.status === 'fail') {
      lines.push(out.red(`${result.status.toUpperCase()} ${result.kind} ${result.name}: ${message}`));
    } else if (result.status === 'warn') {
      lines.push(out.yellow(`WARN ${result.kind} ${result.name}: ${message}`));
    } else continue;
    for (const sample of result.samples ?? []) lines.push(`    ${JSON.stringify(sample)}`);
    if (result.compiledPath) lines.push(out.dim(`    compiled SQL: target/${result.compiledPath}`));
  }
  const seeds = results.filter((r) => r.kind === 'seed');
  const models = results.filter((r) => r.kind === 'model' || r.kind === 'snapshot');
  const tests = results.filter((r) => r.kind === 'test');
  // Reused nodes keep the status they last had, but were not built (run): counted apart.
  const count = (list: typeof results, status: string) =>
    list.filter((r) => r.status === status && r.reused === undefined).length;
  const reused = (list: typeof results) => list.filter((r) => r.reused !== undefined).length;
  const kinds = build.run.args.resourceTypes;
  const parts: string[] = [];
  if (seeds.length > 0 || (kinds.includes('seed') && !kinds.includes('model')))
    parts.push(
      `seeds: ${count(seeds, 'success')} loaded, ${count(seeds, 'error')} failed, ${count(seeds, 'skipped')} skipped${reused(seeds) > 0 ? `, ${reused(seeds)} reused` : ''}`,
    );
  if (kinds.includes('model') || kinds.includes('snapshot') || models.length > 0)
    parts.push(
      `models: ${count(models, 'success')} built, ${count(models, 'error')} failed, ${count(models, 'skipped')} skipped${reused(models) > 0 ? `, ${reused(models)} reused` : ''}`,
    );
  // A test that failed found rows; one that errored could not run (its SQL failed): said apart, as dbt does.
  const errored = count(tests, 'error');
  if (build.run.args.runTests !== 'none')
    parts.push(
      `tests: ${count(tests, 'pass')} passed, ${count(tests, 'warn')} warned, ${count(tests, 'fail')} failed${errored > 0 ? `, ${errored} errored` : ''}${reused(tests) > 0 ? `, ${reused(tests)} reused` : ''}`,
    );
  lines.push(`${parts.join('; ')} — ${formatSeconds(build.run.elapsedMs / 1000)}`);
  lines.push(dbtStatsLine(results));
  lines.push(`lineage page: ${build.lineagePage}`);
  return lines;
}
