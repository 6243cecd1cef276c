import { isFailingTest, readRunRecord, type FailureStreak, type TestOutcome } from '@sluice/pipeline';
import type { RunRecord } from '@sluice/watermark';
import { slotOfRunId } from './slot-run-id.js';

/** One table's freshness, as the page shows it. */
export interface TableFreshness {
  /** The name in `sluice.yml`. */
  readonly table: string;
  /** When its watermark last moved (rows last arrived), if ever. */
  readonly lastLoaded: Date | undefined;
  /** Rows read in the latest run that had the table, and that run's status for it. */
  readonly rows: number | undefined;
  readonly status: string | undefined;
  readonly error: string | undefined;
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
}

/**
 * The status page: plain server-rendered HTML with inline CSS, readable on a phone, refreshing itself every 30 s.
 * What a person needs at a glance: is it healthy, when is the next run, what failed, how fresh is each table.
 */
export function renderStatusPage(view: StatusView): string {
  const when = (date: Date) => formatTime(date, view.timezone);
  const finished = view.runs.find((run) => run.status !== 'running');
  const running = view.runs.find((run) => run.status === 'running');
  const detail = finished ? readRunRecord(finished).detail : undefined;
  const failingTests = detail?.tests.filter(isFailingTest) ?? [];
  const failingTables = detail?.tables.filter((t) => t.status === 'failed') ?? [];
  const failingModels = detail?.models.filter((m) => m.status === 'error') ?? [];
  const health =
    view.current || running
      ? 'running'
      : !finished
        ? 'waiting'
        : finished.status === 'success' && failingTests.every((t) => t.severity === 'warn' || t.status === 'warn')
          ? 'ok'
          : 'failing';
  const healthText = { running: 'Running', waiting: 'No run yet', ok: 'Healthy', failing: 'Needs attention' }[health];

  const parts: string[] = [];
  parts.push(`<header>
  <h1>${esc(view.project)} <span class="badge ${health}">${healthText}</span>${view.paused ? ' <span class="badge paused">Paused</span>' : ''}${view.stopping ? ' <span class="badge paused">Shutting down</span>' : ''}</h1>
  <p class="meta">Next run: <strong>${view.paused ? 'paused' : view.nextRun ? `${esc(when(view.nextRun))} <span class="dim">(${esc(relative(view.nextRun, view.now))})</span>` : 'none'}</strong>
  <br><span class="dim">Schedule <code>${esc(view.cron)}</code> in ${esc(view.timezone)} · page at ${esc(when(view.now))}</span></p>
</header>`);

  if (view.current) {
    parts.push(
      `<p class="note running">Running now: <a href="/api/runs/${encodeURIComponent(view.current.runId)}">${esc(view.current.runId)}</a> (${esc(view.current.trigger)}, started ${esc(relative(view.current.startedAt, view.now))})</p>`,
    );
  } else if (running) {
    parts.push(
      `<p class="note running">Running now (another daemon): ${esc(running.id)} (${esc(running.trigger)}, started ${esc(relative(running.startedAt, view.now))})</p>`,
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
      `<section id="last-run" class="alert"><h2>Last run ${esc(finished.status)}</h2><p class="dim">${esc(when(finished.startedAt))} · <a href="/api/runs/${encodeURIComponent(finished.id)}"><code>${esc(shortId(finished.id))}</code></a> · ${esc(finished.trigger)}</p>${items.length ? `<ul>${items.join('')}</ul>` : ''}</section>`,
    );
  }

  parts.push(
    `<section id="tests"><h2>Failing tests</h2>${
      !finished
        ? '<p class="dim">No finished run yet.</p>'
        : failingTests.length === 0
          ? `<p class="ok-text">${detail && detail.tests.length > 0 ? `All ${detail.tests.length} tests passed` : 'No test failed'} in the last run.</p>`
          : `<div class="scroll"><table><thead><tr><th>Test</th><th>Result</th><th class="num">Rows</th></tr></thead><tbody>${failingTests.map(testRow).join('')}</tbody></table></div>`
    }</section>`,
  );

  parts.push(
    `<section id="tables"><h2>Tables</h2><div class="scroll"><table><thead><tr><th>Table</th><th>Loaded</th><th class="num">Rows</th><th>Last run</th></tr></thead><tbody>${view.tables
      .map(
        (t) =>
          `<tr><td><strong>${esc(t.table)}</strong></td><td class="nowrap">${t.lastLoaded ? timeTag(t.lastLoaded, relative(t.lastLoaded, view.now), when(t.lastLoaded)) : '<span class="dim">never</span>'}</td><td class="num">${t.rows === undefined ? '–' : t.rows.toLocaleString('en-US')}</td><td>${t.status ? pill(t.status) : '<span class="dim">–</span>'}</td></tr>${
            t.failing
              ? `<tr class="sub"><td colspan="4"><div class="err">${esc(streakText(t.failing, view))}</div></td></tr>`
              : t.error
                ? `<tr class="sub"><td colspan="4"><div class="err">${esc(clip(t.error, 300))}</div></td></tr>`
                : ''
          }`,
      )
      .join(
        '',
      )}</tbody></table></div><p class="dim">Loaded: when new rows last arrived. Rows: read in the latest run that had the table.</p></section>`,
  );

  parts.push(
    `<section id="runs"><h2>Recent runs</h2>${
      view.runs.length === 0
        ? '<p class="dim">No runs yet.</p>'
        : `<div class="scroll"><table><thead><tr><th>Started</th><th>Status</th><th class="num">Took</th><th class="num">Rows</th></tr></thead><tbody>${view.runs
            .map((run) => {
              const d = readRunRecord(run).detail;
              const rows = d.tables.reduce((sum, t) => sum + t.rows, 0);
              const slot = slotOfRunId(run.id);
              const note =
                run.status === 'success' || !d.error
                  ? ''
                  : `<tr class="sub"><td colspan="4"><div class="err">${esc(clip(d.error.message, 300))}</div></td></tr>`;
              return `<tr><td><a href="/api/runs/${encodeURIComponent(run.id)}" title="${esc(run.id)}">${esc(shortTime(run.startedAt, view.timezone))}</a><div class="dim">${esc(run.trigger)}${slot && run.trigger === 'schedule' ? ` · slot ${esc(shortTime(slot, view.timezone))}` : ''}</div></td><td>${pill(run.status)}</td><td class="num">${run.endedAt ? esc(duration(run.endedAt.getTime() - run.startedAt.getTime())) : '…'}</td><td class="num">${rows.toLocaleString('en-US')}</td></tr>${note}`;
            })
            .join('')}</tbody></table></div>`
    }</section>`,
  );

  parts.push(
    `<footer><a href="/docs/">Lineage and model docs</a>${view.docsAvailable ? '' : ' <span class="dim">(not built yet)</span>'} · <a href="/api/runs">Runs (JSON)</a> · <a href="/metrics">Metrics</a></footer>`,
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>${esc(view.project)} · Sluice</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${parts.join('\n')}
</main>
</body>
</html>
`;
}

function testRow(test: TestOutcome): string {
  const label = test.status === 'warn' || test.severity === 'warn' ? 'warn' : test.status;
  return `<tr><td><strong>${esc(test.name)}</strong>${test.model ? `<div class="dim">on ${esc(test.model)}</div>` : ''}${test.message ? `<div class="dim">${esc(clip(test.message, 300))}</div>` : ''}</td><td>${pill(label)}<div class="dim">${esc(test.severity)}</div></td><td class="num">${test.failures === undefined ? '–' : test.failures.toLocaleString('en-US')}</td></tr>`;
}

function timeTag(date: Date, text: string, title: string): string {
  return `<time datetime="${date.toISOString()}" title="${esc(title)}">${esc(text)}</time>`;
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

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `25 Nov 15:35` in the schedule's time zone. */
function shortTime(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date);
}

const PILL_CLASS: Record<string, string> = {
  success: 'ok',
  unchanged: 'ok',
  pass: 'ok',
  running: 'running',
  failed: 'bad',
  fail: 'bad',
  error: 'bad',
  interrupted: 'warn',
  cancelled: 'warn',
  warn: 'warn',
  skipped: 'muted',
};

function pill(status: string): string {
  return `<span class="pill ${PILL_CLASS[status] ?? 'muted'}">${esc(status)}</span>`;
}

/** `10 Mar 2024, 06:00` in the schedule's time zone. */
function formatTime(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date);
}

function relative(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime();
  const text = duration(Math.abs(ms));
  if (Math.abs(ms) < 5000) return 'just now';
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

/** HTML-escape text for element content and attribute values. */
export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--dim:#656d76;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--run:#0969da;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--dim:#8d96a0;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--run:#4493f8;--card:#161b22}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:0 0 4px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}h2{font-size:1.1rem;margin:24px 0 8px}
.meta{margin:4px 0 0}.dim{color:var(--dim);font-size:.875rem}code{font-size:.85em}
.badge{font-size:.8rem;font-weight:600;padding:2px 10px;border-radius:999px;color:#fff;background:var(--dim)}
.badge.ok{background:var(--ok)}.badge.failing{background:var(--bad)}.badge.running{background:var(--run)}.badge.paused{background:var(--warn)}
.note{padding:8px 12px;border-radius:8px;background:var(--card);border-left:4px solid var(--run)}
.alert{padding:4px 16px 8px;border-radius:8px;background:var(--card);border-left:4px solid var(--bad)}.alert h2{margin-top:12px;color:var(--bad)}
.alert ul{padding-left:20px;margin:8px 0}.alert li{margin:4px 0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);white-space:nowrap}.num{text-align:right;white-space:nowrap}td:first-child{overflow-wrap:anywhere}
.pill{display:inline-block;font-size:.75rem;font-weight:600;padding:1px 8px;border-radius:999px;border:1px solid currentColor;white-space:nowrap}
.pill.ok{color:var(--ok)}.pill.bad{color:var(--bad)}.pill.warn{color:var(--warn)}.pill.running{color:var(--run)}.pill.muted{color:var(--dim)}
.err{color:var(--bad);font-size:.8rem;overflow-wrap:anywhere}.nowrap{white-space:nowrap}
tr.sub td{border-top:0;padding-top:0}tr:has(+ tr.sub) td{border-bottom:0}.ok-text{color:var(--ok)}
footer{margin:32px 0 8px;padding-top:12px;border-top:1px solid var(--line);font-size:.9rem}a{color:var(--run)}
@media (max-width:600px){main{padding:12px}th,td{padding:6px 6px}h1{font-size:1.3rem}}
`;
