import {
  closeAbandonedRuns,
  failureStreaks,
  openStateStore,
  readRunRecord,
  type AbandonedRun,
  type FailureStreak,
  type ParsedRunRecord,
} from '@sluice/pipeline';
import type { Watermark } from '@sluice/watermark';
import { EXIT } from '../exit-codes.js';
import { loadProject } from '../preflight.js';
import { formatCount, formatSeconds, formatTable } from '../format.js';
import type { Output } from '../output.js';
import { jsonText } from '../run-result.js';

/** Every table's position, in `describePosition` form. */
export function describePosition(position: Record<string, unknown>): string {
  const firstLoad = position.firstLoad as { ranges?: unknown[]; done?: unknown[] } | null | undefined;
  if (firstLoad && typeof firstLoad === 'object') {
    return `first load under way: ${firstLoad.done?.length ?? 0} of ${firstLoad.ranges?.length ?? 0} ranges in`;
  }
  if (typeof position.digest === 'string') return `full reload, content ${position.digest.slice(0, 12)}…`;
  if (position.digest === null) return 'full reload, empty';
  const cursor = Array.isArray(position.cursor) ? `(${position.cursor.join(', ')})` : 'empty table';
  return `${cursor}, xmin ${String(position.snapshotXmin)}`;
}

/** `3 min ago`, `2 h ago`, `5 d ago`. */
export function formatAge(at: Date, now: Date = new Date()): string {
  const seconds = Math.max(0, (now.getTime() - at.getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h ago`;
  return `${(seconds / 86400).toFixed(1)} d ago`;
}

function localTime(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/**
 * `sluice status`: the run history from the state store (the last runs, with tables, rows, models and tests),
 * each configured table's freshness (its last load and watermark), and the tests that failed or warned in the
 * last run that ran tests. Reads the state only.
 */
export async function statusCommand(
  options: { project: string; profilesDir?: string; limit: number; json: boolean },
  out: Output,
): Promise<number> {
  const project = await loadProject(options.project, { needsSource: false, profilesDir: options.profilesDir });
  const state = openStateStore(project);
  let runs: ParsedRunRecord[];
  let watermarks: Watermark[];
  let abandoned: AbandonedRun[] = [];
  try {
    // A run left running by a process that is gone is recorded abandoned by whoever looks: this command too.
    abandoned = await closeAbandonedRuns({ state, holder: 'sluice status' }).catch(() => []);
    runs = (await state.listRuns({ limit: Math.max(options.limit, 100) })).map(readRunRecord);
    watermarks = await state.readAll();
  } finally {
    await state.close();
  }
  const now = new Date();
  const tables = Object.entries(project.config.tables).map(([name, spec]) => {
    const key = `${spec.schema ?? project.config.source.schema}.${name}`;
    const watermark = watermarks.find((mark) => mark.table === key);
    let lastRun: { runId: string; status: string; rows: number; at: Date } | undefined;
    for (const run of runs) {
      const found = run.detail.tables.find((table) => table.table === name);
      if (found && run.status !== 'running') {
        lastRun = { runId: run.id, status: found.status, rows: found.rows, at: run.endedAt ?? run.startedAt };
        break;
      }
    }
    return { table: key, name, strategy: spec.strategy, watermark, lastRun };
  });
  const streaks = failureStreaks(runs).filter((streak) => streak.table in project.config.tables);
  const withTests = runs.find((run) => run.status !== 'running' && run.detail.tests.length > 0);
  const failing = withTests
    ? withTests.detail.tests.filter((test) => test.status !== 'pass' && test.status !== 'skipped')
    : [];
  const shown = runs.slice(0, options.limit);

  if (options.json) {
    out.line(
      jsonText({
        command: 'status',
        project: project.dir,
        abandoned: abandoned.map((run) => ({ id: run.id, reason: run.reason })),
        runs: shown,
        tables: tables.map((table) => ({
          table: table.table,
          strategy: table.strategy,
          lastRun: table.lastRun ?? null,
          watermark: table.watermark
            ? {
                position: table.watermark.position,
                committedAt: table.watermark.committedAt,
                runId: table.watermark.runId,
              }
            : null,
        })),
        failingTables: streaks,
        tests: withTests ? { runId: withTests.id, failing } : null,
      }),
    );
    return EXIT.ok;
  }

  for (const run of abandoned) out.line(out.yellow(`Recorded abandoned: run ${run.id} — ${run.reason}`));
  out.line(out.bold(`Runs (newest first, ${shown.length} of ${runs.length >= 100 ? '100+' : runs.length})`));
  if (shown.length === 0) out.line('  no runs yet: sluice build starts the first');
  else {
    const rows = shown.map((run) => {
      const { tables: runTables, models, tests } = run.detail;
      const seconds = run.endedAt ? formatSeconds((run.endedAt.getTime() - run.startedAt.getTime()) / 1000) : 'running';
      const failedTests = tests.filter((t) => t.status === 'fail' || t.status === 'error').length;
      return [
        run.id.slice(0, 8),
        run.trigger,
        paint(run.status, out),
        localTime(run.startedAt),
        seconds,
        runTables.length ? String(runTables.length) : '-',
        runTables.length ? formatCount(runTables.reduce((sum, t) => sum + t.rows, 0)) : '-',
        models.length ? `${models.filter((m) => m.status === 'success').length}/${models.length}` : '-',
        tests.length
          ? `${tests.filter((t) => t.status === 'pass').length}/${tests.length}${failedTests ? ` (${failedTests} failed)` : ''}`
          : '-',
      ];
    });
    for (const line of formatTable(
      ['run', 'trigger', 'status', 'started', 'took', 'tables', 'rows', 'models ok', 'tests passed'],
      rows,
      [false, false, false, false, true, true, true, true, false],
    )) {
      out.line(`  ${line}`);
    }
    const error = shown[0]?.detail.error;
    if (error?.message) out.line(out.red(`  last run: [${error.code}] ${error.message}`));
  }

  out.line();
  out.line(out.bold('Tables'));
  const rows = tables.map((table) => [
    table.table,
    table.strategy,
    table.lastRun ? `${formatAge(table.lastRun.at, now)}` : 'never',
    table.lastRun ? paint(table.lastRun.status, out) : '-',
    table.lastRun ? formatCount(table.lastRun.rows) : '-',
    table.watermark ? formatAge(table.watermark.committedAt, now) : '-',
    table.watermark ? describePosition(table.watermark.position) : 'not loaded yet',
  ]);
  for (const line of formatTable(
    ['table', 'strategy', 'last load', 'status', 'rows', 'watermark moved', 'position'],
    rows,
    [false, false, false, false, true, false, false],
  )) {
    out.line(`  ${line}`);
  }

  if (streaks.length > 0) {
    out.line();
    out.line(out.bold('Tables failing run after run'));
    for (const line of streakLines(streaks, now)) out.line(out.red(line));
  }

  out.line();
  if (!withTests) out.line(`${out.bold('Tests')}: none run yet`);
  else if (failing.length === 0)
    out.line(
      `${out.bold('Tests')}: all ${withTests.detail.tests.length} passed in run ${withTests.id.slice(0, 8)} (${formatAge(withTests.endedAt ?? withTests.startedAt, now)})`,
    );
  else {
    out.line(
      out.bold(
        `Failing tests (run ${withTests.id.slice(0, 8)}, ${formatAge(withTests.endedAt ?? withTests.startedAt, now)})`,
      ),
    );
    for (const test of failing) {
      const line = `  ${test.status.toUpperCase()} ${test.name}: ${test.message ?? ''}`;
      out.line(test.status === 'warn' ? out.yellow(line) : out.red(line));
    }
  }
  return EXIT.ok;
}

/** `  vendas: failed 3 runs in a row, since run 1a2b3c4d (2 h ago): [CODE] message` (the first failure's error). */
export function streakLines(streaks: readonly FailureStreak[], now: Date = new Date()): string[] {
  return streaks.map((streak) => {
    const error = streak.first.error;
    const latest = streak.latest.error;
    const same = latest?.code === error?.code && latest?.message === error?.message;
    return (
      `  ${streak.table}: failed ${streak.runs} runs in a row, since run ${streak.first.runId.slice(0, 8)} (${localTime(streak.first.at)}, ${formatAge(streak.first.at, now)})` +
      (error ? `: [${error.code}] ${error.message}` : '') +
      (same || !latest ? '' : `; latest: [${latest.code}] ${latest.message}`)
    );
  });
}

function paint(status: string, out: Output): string {
  return status === 'success' || status === 'pass'
    ? out.green(status)
    : status === 'failed' || status === 'fail' || status === 'error'
      ? out.red(status)
      : status === 'unchanged'
        ? out.dim(status)
        : out.yellow(status);
}
