import { isFailingTest, type FailureStreak, type RunDetail, type TestOutcome } from '@sluice/pipeline';
import type { RunRecord } from '@sluice/watermark';
import {
  clip,
  count,
  duration,
  esc,
  formatTime,
  htmlPage,
  pill,
  relative,
  runHref,
  shortTime,
  timeTag,
  tokenFields,
} from './html-page.js';
import { isFinished, runDetail } from './run-history-view.js';
import { slotOfRunId } from './slot-run-id.js';

export { esc } from './html-page.js';

/** One table's freshness, as the page shows it. */
export interface TableFreshness {
  /** The name in `sluice.yml`. */
  readonly table: string;
  /** When a run last wrote rows to it (inserted, updated or deleted), if one did within the runs looked at. */
  readonly lastLoaded: Date | undefined;
  /** Rows read from the source in the latest run that was meant to load it. */
  readonly rows: number | undefined;
  /** Rows that run inserted, updated and deleted. */
  readonly written?: { readonly inserted: number; readonly updated: number; readonly deleted: number } | undefined;
  /** Its status in that run; `not reached` when that run stopped before it. */
  readonly status: string | undefined;
  readonly error: string | undefined;
  /** When its watermark last moved: the source was read up to a new position. */
  readonly checkedAt?: Date | undefined;
  /** When it failed two or more runs in a row up to now: since which run, with which error (`failureStreaks`). */
  readonly failing?: FailureStreak | undefined;
}

/** Everything the status page shows: built by the daemon from the state store and itself. */
export interface StatusView {
  readonly project: string;
  readonly now: Date;
  readonly cron: string;
  readonly timezone: string;
  readonly paused: boolean;
  readonly stopping: boolean;
  /** The run this daemon is doing now. */
  readonly current: { readonly runId: string; readonly trigger: string; readonly startedAt: Date } | undefined;
  readonly nextRun: Date | undefined;
  /** Latest runs, newest first (from the shared run history). */
  readonly runs: readonly RunRecord[];
  readonly tables: readonly TableFreshness[];
  /** Whether `target/docs/index.html` exists (served at /docs/). */
  readonly docsAvailable: boolean;
  /** The latest finished run (default: the newest finished one in `runs`). */
  readonly lastFinished?: RunRecord | undefined;
  /** Runs recorded running by any process (default: those in `runs`). */
  readonly running?: readonly RunRecord[];
  /** Whether the write API has a token: the page then offers the run, pause and resume forms. */
  readonly tokenConfigured?: boolean;
  /** A one-line result of the last form sent (`?notice=`), from a fixed list. */
  readonly notice?: string | undefined;
  /** Tables whose last write was not found within this many runs (the page says so instead of "never"). */
  readonly writeLookbackRuns?: number | undefined;
}

/**
 * The status page: plain server-rendered HTML with inline CSS, readable on a phone, refreshing itself every 30 s.
 * What a person needs at a glance: is it healthy (from the last *finished* run, shown even while another runs),
 * when is the next run, what failed, how fresh is each table; and forms to run, pause and resume (with the token).
 */
export function renderStatusPage(view: StatusView): string {
  const when = (date: Date) => formatTime(date, view.timezone);
  const finished = view.lastFinished ?? view.runs.find(isFinished);
  const running = view.running ?? view.runs.filter((run) => run.status === 'running');
  const elsewhere = running.filter((run) => run.id !== view.current?.runId);
  const detail = finished ? runDetail(finished) : undefined;
  const failingTests = detail?.tests.filter(isFailingTest) ?? [];
  const failingTables = detail?.tables.filter((t) => t.status === 'failed') ?? [];
  const failingModels = detail?.models.filter((m) => m.status === 'error') ?? [];
  const health = !finished
    ? 'waiting'
    : finished.status === 'success' && failingTests.every((t) => t.severity === 'warn' || t.status === 'warn')
      ? 'ok'
      : 'failing';
  const healthText = { waiting: 'No run yet', ok: 'Healthy', failing: 'Needs attention' }[health];
  const isRunning = view.current !== undefined || running.length > 0;

  const parts: string[] = [];
  parts.push(`<header>
  <h1>${esc(view.project)} <span class="badge ${health}">${healthText}</span>${isRunning ? ' <span class="badge running">Running</span>' : ''}${view.paused ? ' <span class="badge paused">Paused</span>' : ''}${view.stopping ? ' <span class="badge paused">Shutting down</span>' : ''}</h1>
  <p class="meta">Next run: <strong>${view.paused ? 'paused' : view.nextRun ? `${esc(when(view.nextRun))} <span class="dim">(${esc(relative(view.nextRun, view.now))})</span>` : 'none'}</strong>
  <br><span class="dim">Schedule <code>${esc(view.cron)}</code> in ${esc(view.timezone)} · page at ${esc(when(view.now))}</span></p>
</header>`);
  if (view.notice) parts.push(`<p class="note ok" id="notice">${esc(view.notice)}</p>`);

  if (view.current) {
    parts.push(
      `<p class="note running">Running now: <a href="${runHref(view.current.runId)}">${esc(view.current.runId)}</a> (${esc(view.current.trigger)}, started ${esc(relative(view.current.startedAt, view.now))})</p>`,
    );
  }
  for (const run of elsewhere) {
    const heartbeat = runDetail(run).heartbeatAt;
    parts.push(
      `<p class="note running">Running now (another process): <a href="${runHref(run.id)}">${esc(run.id)}</a> (${esc(run.trigger)}, started ${esc(relative(run.startedAt, view.now))}${heartbeat ? `, last heartbeat ${esc(relative(new Date(heartbeat), view.now))}` : ''})</p>`,
    );
  }

  if (finished && (finished.status !== 'success' || failingTables.length > 0)) {
    // TABLES_FAILED and BUILD_FAILED only sum up what is listed one by one below (and under Failing tests).
    const itemized = failingTables.length + failingModels.length + failingTests.length > 0;
    const summary =
      detail?.error && !((detail.error.code === 'TABLES_FAILED' || detail.error.code === 'BUILD_FAILED') && itemized)
        ? detail.error
        : undefined;
    const erroredTests = failingTests.filter((t) => t.status !== 'warn' && t.severity !== 'warn').length;
    const items = [
      ...(summary ? [`<li><strong>${esc(summary.code)}</strong>: ${esc(clip(summary.message, 400))}</li>`] : []),
      ...(erroredTests > 0
        ? [
            `<li><strong>${erroredTests} data test${erroredTests === 1 ? '' : 's'}</strong> failed at error severity: see Failing tests</li>`,
          ]
        : []),
      ...failingTables.map(
        (t) => `<li>Table <strong>${esc(t.table)}</strong>: ${esc(clip(t.error?.message ?? 'failed', 400))}</li>`,
      ),
      ...failingModels.map(
        (m) => `<li>Model <strong>${esc(m.name)}</strong>: ${esc(clip(m.message || m.status, 400))}</li>`,
      ),
    ];
    parts.push(
      `<section id="last-run" class="alert"><h2>Last run ${esc(finished.status)}</h2><p class="dim">${esc(when(finished.startedAt))} · <a href="${runHref(finished.id)}"><code>${esc(shortId(finished.id))}</code></a> · ${esc(finished.trigger)} · <a href="${runHref(finished.id)}">details, log and remedy</a></p>${items.length ? `<ul>${items.join('')}</ul>` : ''}</section>`,
    );
  } else if (finished) {
    parts.push(
      `<p class="note ok" id="last-run">Last run ${esc(finished.status)}: <a href="${runHref(finished.id)}"><code>${esc(shortId(finished.id))}</code></a>, ${esc(relative(finished.endedAt ?? finished.startedAt, view.now))} (${esc(finished.trigger)}${finished.endedAt ? `, took ${esc(duration(finished.endedAt.getTime() - finished.startedAt.getTime()))}` : ''})</p>`,
    );
  }

  parts.push(`<section id="tests"><h2>Failing tests</h2>${testsSummary(finished, detail, failingTests)}</section>`);

  const lookback = view.writeLookbackRuns;
  parts.push(
    `<section id="tables"><h2>Tables</h2><div class="scroll"><table><thead><tr><th>Table</th><th>Loaded</th><th class="num">Rows</th><th>Last run</th></tr></thead><tbody>${view.tables
      .map((t) => {
        const loaded = t.lastLoaded
          ? timeTag(t.lastLoaded, relative(t.lastLoaded, view.now), when(t.lastLoaded))
          : `<span class="dim">${lookback ? `not in the last ${count(lookback)} runs` : 'never'}</span>`;
        const written = t.written
          ? `<div class="dim">+${count(t.written.inserted)} ~${count(t.written.updated)} −${count(t.written.deleted)}</div>`
          : '';
        return `<tr><td><strong>${esc(t.table)}</strong></td><td class="nowrap">${loaded}</td><td class="num">${t.rows === undefined ? '–' : count(t.rows)}${written}</td><td>${t.status ? pill(t.status) : '<span class="dim">–</span>'}</td></tr>${
          t.failing
            ? `<tr class="sub"><td colspan="4"><div class="err">${esc(streakText(t.failing, view))}</div></td></tr>`
            : t.error
              ? `<tr class="sub"><td colspan="4"><div class="err">${esc(clip(t.error, 300))}</div></td></tr>`
              : ''
        }`;
      })
      .join(
        '',
      )}</tbody></table></div><p class="dim">Loaded: when a run last wrote rows to the table (inserted, updated or deleted). Rows: read from the source in the latest run meant to load it, with +inserted ~updated −deleted. Last run: the table's status in that run (<em>not reached</em>: the run stopped before it).</p></section>`,
  );

  if (view.tokenConfigured) parts.push(actionForms(view));
  else
    parts.push(
      `<section id="actions"><h2>Run, pause, resume</h2><p class="dim">Start the daemon with SLUICE_SCHEDULER_TOKEN set to run, pause and resume from this page or the API.</p></section>`,
    );

  parts.push(
    `<section id="runs"><h2>Recent runs</h2>${
      view.runs.length === 0
        ? '<p class="dim">No runs yet.</p>'
        : `<div class="scroll">${runsTable(view.runs, view.timezone)}</div><p><a href="/runs">All runs, page by page</a></p>`
    }</section>`,
  );

  parts.push(
    `<footer><a href="/docs/">Lineage and model docs</a>${view.docsAvailable ? '' : ' <span class="dim">(not built yet)</span>'} · <a href="/runs">Run history</a> · <a href="/api/runs">Runs (JSON)</a> · <a href="/metrics">Metrics</a></footer>`,
  );

  return htmlPage(`${view.project} · Sluice`, parts.join('\n'), { refreshSeconds: 30 });
}

/** What the Failing tests section says: never "all passed" while some did not run. */
function testsSummary(
  finished: RunRecord | undefined,
  detail: RunDetail | undefined,
  failingTests: readonly TestOutcome[],
): string {
  if (!finished || !detail) return '<p class="dim">No finished run yet.</p>';
  if (failingTests.length > 0) {
    return `<div class="scroll"><table><thead><tr><th>Test</th><th>Result</th><th class="num">Rows</th></tr></thead><tbody>${failingTests.map(testRow).join('')}</tbody></table></div><p><a href="${runHref(finished.id)}#failing-tests">Failing rows</a></p>`;
  }
  const total = detail.tests.length;
  if (total === 0) return '<p class="ok-text">No test failed in the last run.</p>';
  const passed = detail.tests.filter((t) => t.status === 'pass').length;
  const notRun = total - passed;
  if (notRun === 0) return `<p class="ok-text">All ${total} tests passed in the last run.</p>`;
  return `<p class="warn-text">${passed} of ${total} tests passed in the last run; ${notRun} did not run (their model failed or the run stopped first), so they say nothing.</p>`;
}

function testRow(test: TestOutcome): string {
  const label = test.status === 'warn' || test.severity === 'warn' ? 'warn' : test.status;
  return `<tr><td><strong>${esc(test.name)}</strong>${test.model ? `<div class="dim">on ${esc(test.model)}</div>` : ''}${test.message ? `<div class="dim">${esc(clip(test.message, 300))}</div>` : ''}</td><td>${pill(label)}<div class="dim">${esc(test.severity)}</div></td><td class="num">${test.failures === undefined ? '–' : test.failures.toLocaleString('en-US')}</td></tr>`;
}

/** The table of runs (status page and history pages). */
export function runsTable(runs: readonly RunRecord[], timezone: string): string {
  return `<table><thead><tr><th>Started</th><th>Status</th><th class="num">Took</th><th class="num">Read</th><th class="num">Written</th></tr></thead><tbody>${runs
    .map((run) => {
      const d = runDetail(run);
      const read = d.tables.reduce((sum, t) => sum + (t.read ?? t.rows), 0);
      const written = d.tables.reduce((sum, t) => sum + (t.inserted ?? 0) + (t.updated ?? 0) + (t.deleted ?? 0), 0);
      const slot = slotOfRunId(run.id);
      const note =
        run.status === 'success' || !d.error
          ? ''
          : `<tr class="sub"><td colspan="5"><div class="err">${esc(clip(d.error.message, 300))}</div></td></tr>`;
      return `<tr><td><a href="${runHref(run.id)}" title="${esc(run.id)}">${esc(shortTime(run.startedAt, timezone))}</a><div class="dim">${esc(run.trigger)}${slot && run.trigger === 'schedule' ? ` · slot ${esc(shortTime(slot, timezone))}` : ''}</div></td><td>${pill(run.status)}</td><td class="num">${run.endedAt ? esc(duration(run.endedAt.getTime() - run.startedAt.getTime())) : '…'}</td><td class="num">${count(read)}</td><td class="num">${count(written)}</td></tr>${note}`;
    })
    .join('')}</tbody></table>`;
}

/** Run now (everything, some tables, a model selection), pause and resume: forms that need the token. */
function actionForms(view: StatusView): string {
  const tables = view.tables
    .map((t) => `<label><input type="checkbox" name="tables" value="${esc(t.table)}"> ${esc(t.table)}</label>`)
    .join('');
  return `<section id="actions"><h2>Run, pause, resume</h2>
<form method="post" action="/actions/run" id="run-form">${tokenFields()}
<p><button type="submit" name="what" value="all">Run everything now</button></p>
<details><summary>Only some tables, or a selection of models</summary>
<p class="checks">${tables}</p>
<label class="field">Models (selection, as <code>--select</code>) <input type="text" name="select" placeholder="fct_vendas+ tag:daily" autocomplete="off"></label>
<p><button type="submit" name="what" value="some">Run the selection</button></p>
</details></form>
<form method="post" action="/actions/${view.paused ? 'resume' : 'pause'}" id="pause-form">${tokenFields()}
<p><button type="submit">${view.paused ? 'Resume the schedule' : 'Pause the schedule'}</button> <span class="dim">${view.paused ? 'Scheduled runs are paused.' : 'A run going on is not stopped.'}</span></p></form>
</section>`;
}

/** `Failed 3 runs in a row, since 06:00 (2 h ago, run 1a2b3c4d…): <first error>; latest: <error>`. */
function streakText(streak: FailureStreak, view: StatusView): string {
  const first = streak.first.error?.message ?? 'failed';
  const latest = streak.latest.error?.message;
  return (
    `Failed ${streak.runs} runs in a row, since ${formatTime(streak.first.at, view.timezone)} (${relative(streak.first.at, view.now)}, run ${shortId(streak.first.runId)}): ${clip(first, 300)}` +
    (latest && latest !== first ? `; latest: ${clip(latest, 200)}` : '')
  );
}

function shortId(id: string): string {
  return id.length > 24 ? `${id.slice(0, 8)}…` : id;
}
