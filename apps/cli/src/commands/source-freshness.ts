import { sourceFreshness } from '@sluice/pipeline';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatSeconds } from '../format.js';
import type { Output } from '../output.js';
import { preflight } from '../preflight.js';
import { jsonText } from '../run-result.js';
import { withWarehouse } from './run.js';

/**
 * `sluice source freshness` (dbt's): each selected source table with a `freshness:` rule, its newest
 * `loaded_at_field` against `warn_after` / `error_after`, read from the warehouse (never the source database);
 * writes `target/sources.json`. Exit 1 when a table is over `error_after` or could not be checked, as dbt does.
 */
export async function sourceFreshnessCommand(
  options: {
    readonly project: string;
    readonly target?: string;
    readonly profilesDir?: string;
    readonly vars?: Readonly<Record<string, unknown>>;
    readonly select?: readonly string[];
    readonly exclude?: readonly string[];
    readonly json: boolean;
  },
  out: Output,
): Promise<number> {
  const checked = await preflight({
    project: options.project,
    target: options.target,
    profilesDir: options.profilesDir,
    vars: options.vars,
    models: true,
    select: options.select,
    exclude: options.exclude,
  });
  if (!checked.models)
    throw new CliError(
      `no model project in ${displayPath(checked.project.dir) || '.'}: no sources to check`,
      EXIT.usage,
    );
  for (const warning of checked.warnings) out.error(out.yellow(`warning: ${warning}`));
  if (!options.json)
    out.line(
      out.dim(
        `sluice source freshness · project ${checked.project.config.name} (${displayPath(checked.project.dir) || '.'}) · target ${checked.target.name} (${checked.target.config.type})`,
      ),
    );
  return withWarehouse(checked, async (warehouse) => {
    const { run, artifact } = await sourceFreshness({
      project: checked.project,
      warehouse,
      target: checked.target,
      ...(options.vars ? { vars: options.vars } : {}),
      ...(options.select?.length ? { select: options.select } : {}),
      ...(options.exclude?.length ? { exclude: options.exclude } : {}),
    });
    const code = run.status === 'error' ? EXIT.failed : EXIT.ok;
    if (options.json) {
      out.line(
        jsonText({
          command: 'source freshness',
          status: run.status,
          exitCode: code,
          sourcesJson: artifact,
          results: run.results,
        }),
      );
      return code;
    }
    if (run.results.length === 0) out.error('no selected source table has a freshness: rule');
    const width = Math.max(20, ...run.results.map((r) => r.name.length));
    for (const r of run.results) {
      const icon =
        r.status === 'pass'
          ? out.green('✓')
          : r.status === 'warn' || r.status === 'skipped'
            ? out.yellow('!')
            : out.red('✗');
      out.line(`  ${icon} ${r.name.padEnd(width)}  ${r.status.padEnd(13)} ${r.message}`);
    }
    const count = (status: string) => run.results.filter((r) => r.status === status).length;
    out.line(
      `\nsources: ${count('pass')} fresh, ${count('warn')} warned, ${count('error') + count('runtime error')} failed, ${count('skipped')} skipped — ${formatSeconds(run.elapsedMs / 1000)}`,
    );
    out.line(`sources.json: ${displayPath(artifact)}`);
    return code;
  });
}
