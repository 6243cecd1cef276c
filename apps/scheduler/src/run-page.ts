import {
  isFailingTest,
  type ModelOutcome,
  type RunDetail,
  type TableOutcome,
  type TestOutcome,
} from '@sluice/pipeline';
import type { RunRecord } from '@sluice/watermark';
import { remedyFor } from './error-remedy.js';
import { runDetail } from './run-history-view.js';
import {
  bytes,
  clip,
  clockTime,
  count,
  duration,
  esc,
  formatTime,
  htmlPage,
  pill,
  relative,
  runHref,
  seconds,
  tokenFields,
} from './html-page.js';

/** What the run page shows. */
export interface RunPageView {
  readonly project: string;
  readonly now: Date;
  readonly timezone: string;
  /** The run, with host paths already scrubbed from its detail. */
  readonly run: RunRecord;
  /** The tables the project configures (those a run meant to load but did not reach show as such). */
  readonly configuredTables: readonly string[];
  /** True when this daemon runs it (the page then offers a cancel form). */
  readonly cancellable: boolean;
  readonly tokenConfigured: boolean;
  readonly notice?: string | undefined;
}

/**
 * One run on one page, readable on a phone: what it was asked to do and who ran it; the error and what to do;
 * per table the rows read, inserted, updated and deleted, bytes and time; models and tests on a timeline; the
 * failing tests with their sample rows; the run's log. A running run refreshes itself every 10 s.
 */
export function renderRunPage(view: RunPageView): string {
  const { run } = view;
  const detail = runDetail(run);
  const when = (date: Date) => formatTime(date, view.timezone);
  const parts: string[] = [];

  const took = run.endedAt
    ? `took ${duration(run.endedAt.getTime() - run.startedAt.getTime())}`
    : `running for ${duration(view.now.getTime() - run.startedAt.getTime())}`;
  const scope = detail.scope;
  const asked = scope
    ? [
        scope.steps.join(' then '),
        scope.runTests === 'none' ? 'models only' : scope.runTests === 'only' ? 'tests only' : '',
        scope.tables ? `tables ${scope.tables.join(', ')}` : '',
        scope.select ? `select ${scope.select.join(' ')}` : '',
        scope.exclude ? `exclude ${scope.exclude.join(' ')}` : '',
        scope.fullRefresh ? 'full refresh' : '',
      ]
        .filter(Boolean)
        .join(' · ')
    : '';
  parts.push(`<header>
<p class="dim"><a href="/">← ${esc(view.project)}</a> · <a href="/runs">all runs</a></p>
<h1>Run <code>${esc(run.id)}</code> ${pill(run.status)}</h1>
<p class="meta">${esc(run.trigger)} · started ${esc(when(run.startedAt))} · ${esc(took)}${run.endedAt ? ` · ended ${esc(when(run.endedAt))}` : ''}</p>
${asked ? `<p class="dim">Asked: ${esc(asked)}${detail.command ? ` (sluice ${esc(detail.command)})` : ''}</p>` : ''}
${detail.holder || detail.heartbeatAt ? `<p class="dim">${detail.holder ? `Run by ${esc(detail.holder.name)}` : 'Run by a process that did not record its name'}${detail.heartbeatAt && run.status === 'running' ? ` · last heartbeat ${esc(relative(new Date(detail.heartbeatAt), view.now))}` : ''}</p>` : ''}
</header>`);
  if (view.notice) parts.push(`<p class="note ok" id="notice">${esc(view.notice)}</p>`);

  if (detail.error) {
    const remedy = remedyFor(detail.error.code);
    parts.push(
      `<section id="error" class="alert"><h2>${run.status === 'skipped' ? 'Why it did not run' : 'What went wrong'}</h2><p><strong>${esc(detail.error.code)}</strong>: ${esc(clip(detail.error.message, 2000))}</p>${remedy ? `<p><strong>What to do:</strong> ${esc(remedy)}</p>` : ''}</section>`,
    );
  }

  if (run.status === 'running' && view.cancellable && view.tokenConfigured) {
    parts.push(
      `<form method="post" action="${runHref(run.id)}/cancel" id="cancel-form">${tokenFields()}<p><button type="submit">Cancel this run</button> <span class="dim">Its statements on the source and the warehouse are cancelled; what it committed stays.</span></p></form>`,
    );
  }

  const tableNames = tablesOf(detail, view.configuredTables);
  if (tableNames.length > 0) {
    parts.push(
      `<section id="tables"><h2>Tables</h2><div class="scroll"><table><thead><tr><th>Table</th><th>Status</th><th class="num">Read</th><th class="num">Inserted</th><th class="num">Updated</th><th class="num">Deleted</th><th class="num">Bytes</th><th class="num">Time</th></tr></thead><tbody>${tableNames
        .map((name) =>
          tableRow(
            name,
            detail.tables.find((t) => t.table === name),
            run.status === 'running',
          ),
        )
        .join('')}</tbody></table></div></section>`,
    );
  }

  const nodes = [
    ...detail.models.map((m) => ({ ...m, kind: m.kind ?? 'model' })),
    ...detail.tests.map((t) => ({ ...t, kind: 'test' as const })),
  ];
  if (nodes.length > 0)
    parts.push(`<section id="timeline"><h2>Models and tests</h2>${timeline(nodes, view.timezone)}</section>`);

  const failing = detail.tests.filter(isFailingTest);
  if (failing.length > 0) {
    parts.push(`<section id="failing-tests"><h2>Failing tests</h2>${failing.map(failingTest).join('')}</section>`);
  }

  const log = detail.log ?? [];
  parts.push(
    `<section id="log"><h2>Log</h2>${
      log.length === 0
        ? '<p class="dim">No log recorded for this run (older runs, and runs that never started, have none).</p>'
        : `<pre class="log">${log
            .map((line, index) => {
              const gap =
                detail.logDropped && index === 100
                  ? `<span class="dim">… ${count(detail.logDropped)} lines left out …</span>\n`
                  : '';
              return `${gap}<span class="lvl-${line.level}">${esc(clockTime(new Date(line.at), view.timezone))} ${line.level.toUpperCase().padEnd(5)} ${esc(line.msg)}</span>`;
            })
            .join('\n')}</pre>`
    }</section>`,
  );

  parts.push(
    `<footer><a href="/">Status page</a> · <a href="/runs">Run history</a> · <a href="/api/runs/${encodeURIComponent(run.id)}">This run as JSON</a>${detail.lineagePage ? ' · <a href="/docs/">Lineage</a>' : ''}</footer>`,
  );
  return htmlPage(`Run ${run.id} · ${view.project} · Sluice`, parts.join('\n'), {
    ...(run.status === 'running' ? { refreshSeconds: 10 } : {}),
  });
}

/** The tables to list: those the run was asked to load (configured ones, or its `tables`), then any it reports. */
function tablesOf(detail: RunDetail, configured: readonly string[]): string[] {
  const reported = detail.tables.map((t) => t.table);
  const scope = detail.scope;
  const meant = scope?.steps.includes('ingest') ? (scope.tables ?? configured) : [];
  return [...new Set([...meant, ...reported])];
}

function tableRow(name: string, outcome: TableOutcome | undefined, running: boolean): string {
  if (!outcome) {
    return `<tr><td><strong>${esc(name)}</strong></td><td>${running ? pill('running') : pill('not reached')}</td><td class="num" colspan="6"><span class="dim">${running ? 'not done yet' : 'the run stopped before this table'}</span></td></tr>`;
  }
  const cell = (value: number | undefined) => `<td class="num">${value === undefined ? '–' : count(value)}</td>`;
  return `<tr><td><strong>${esc(name)}</strong>${outcome.strategy ? `<div class="dim">${esc(outcome.strategy)}</div>` : ''}</td><td>${pill(outcome.status)}</td>${cell(outcome.read ?? outcome.rows)}${cell(outcome.inserted)}${cell(outcome.updated)}${cell(outcome.deleted)}<td class="num">${bytes(outcome.bytes)}</td><td class="num">${outcome.seconds === undefined ? '–' : esc(seconds(outcome.seconds))}</td></tr>${
    outcome.error
      ? `<tr class="sub"><td colspan="8"><div class="err">${esc(outcome.error.code)}: ${esc(clip(outcome.error.message, 600))}</div></td></tr>`
      : ''
  }`;
}

type TimelineNode = (ModelOutcome | TestOutcome) & { readonly kind: 'model' | 'snapshot' | 'seed' | 'test' };

/** Models and tests as bars on one time axis (from the first start to the last end), in the order they started. */
function timeline(nodes: readonly TimelineNode[], timezone: string): string {
  const timed = nodes.filter((n) => n.startedAt !== undefined);
  const start = Math.min(...timed.map((n) => Date.parse(n.startedAt as string)));
  const end = Math.max(...timed.map((n) => Date.parse(n.startedAt as string) + (n.seconds ?? 0) * 1000));
  const span = Math.max(1, end - start);
  const ordered = [...nodes].sort(
    (a, b) => (a.startedAt ? Date.parse(a.startedAt) : Infinity) - (b.startedAt ? Date.parse(b.startedAt) : Infinity),
  );
  const rows = ordered.map((node) => {
    const bar = node.startedAt
      ? `<div class="tl-bar ${barClass(node.status)}" style="left:${(((Date.parse(node.startedAt) - start) / span) * 100).toFixed(2)}%;width:${Math.max(0.5, (((node.seconds ?? 0) * 1000) / span) * 100).toFixed(2)}%"></div>`
      : '';
    return `<div class="tl-row"><div class="tl-name">${pill(node.status)} ${esc(node.name)} <span class="dim">${esc(node.kind)}</span></div><div class="tl-track">${bar}</div><div class="num">${node.seconds === undefined ? '–' : esc(seconds(node.seconds))}</div></div>`;
  });
  const axis =
    timed.length > 0
      ? `<p class="dim">From ${esc(clockTime(new Date(start), timezone))} to ${esc(clockTime(new Date(end), timezone))} (${esc(seconds(span / 1000))}).</p>`
      : '';
  return `${axis}${rows.join('')}`;
}

function barClass(status: string): string {
  return status === 'error' || status === 'fail'
    ? 'bad'
    : status === 'warn'
      ? 'warn'
      : status === 'success' || status === 'pass'
        ? ''
        : 'muted';
}

/** A failing test: what it checks, how many rows failed, where they are stored, and a few of them. */
function failingTest(test: TestOutcome): string {
  const samples = test.samples ?? [];
  const columns = [...new Set(samples.flatMap((row) => Object.keys(row)))];
  const table =
    samples.length > 0
      ? `<div class="scroll"><table><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${samples
          .map(
            (row) =>
              `<tr>${columns.map((c) => `<td>${row[c] === null || row[c] === undefined ? '<span class="dim">null</span>' : esc(row[c] as string)}</td>`).join('')}</tr>`,
          )
          .join('')}</tbody></table></div>`
      : `<p class="dim">${test.status === 'error' ? 'The test could not run, so there are no rows to show.' : 'No sample rows were recorded for this test.'}</p>`;
  return `<article class="failing-test"><h3>${pill(test.severity === 'warn' || test.status === 'warn' ? 'warn' : test.status)} ${esc(test.name)}</h3><p class="dim">${test.model ? `on ${esc(test.model)} · ` : ''}severity ${esc(test.severity)}${test.failures !== undefined ? ` · ${count(test.failures)} failing row${test.failures === 1 ? '' : 's'}` : ''}${test.storedIn ? ` · all of them in <code>${esc(test.storedIn)}</code>` : ''}</p>${test.message ? `<p>${esc(clip(test.message, 600))}</p>` : ''}${samples.length > 0 ? `<p class="dim">The first ${samples.length}:</p>` : ''}${table}</article>`;
}
