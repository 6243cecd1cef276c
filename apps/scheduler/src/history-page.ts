import type { RunRecord, RunStatus } from '@sluice/watermark';
import { duration, esc, htmlPage } from './html-page.js';
import { runsTable } from './status-page.js';

/** One page of the run history. */
export interface HistoryPageView {
  readonly project: string;
  readonly timezone: string;
  readonly runs: readonly RunRecord[];
  /** The id to page on from (the last run of this page), when there may be older runs. */
  readonly next: string | undefined;
  /** The page started after this run (absent on the first page). */
  readonly before: string | undefined;
  readonly status: RunStatus | undefined;
  readonly statuses: readonly RunStatus[];
  /** `keep_history`, in milliseconds: runs older than this are pruned. */
  readonly keepHistoryMs: number;
}

/** The run history, 50 runs a page, newest first, back to the retention limit; filter by status. */
export function renderHistoryPage(view: HistoryPageView): string {
  const query = (params: Record<string, string | undefined>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
    const text = search.toString();
    return text ? `/runs?${text}` : '/runs';
  };
  const filters = [
    `<a href="${query({})}"${view.status ? '' : ' aria-current="page"'}>all</a>`,
    ...view.statuses.map(
      (status) =>
        `<a href="${query({ status })}"${view.status === status ? ' aria-current="page"' : ''}>${esc(status)}</a>`,
    ),
  ].join(' · ');
  const body = `<header><p class="dim"><a href="/">← ${esc(view.project)}</a></p><h1>Run history</h1>
<p class="dim">Newest first, 50 a page. Runs older than keep_history (${esc(duration(view.keepHistoryMs))}) are pruned.</p>
<p class="dim">Status: ${filters}</p></header>
<section id="history">${
    view.runs.length === 0
      ? `<p class="dim">${view.before ? 'No older runs: this is the end of the history.' : 'No runs yet.'}</p>`
      : `<div class="scroll">${runsTable(view.runs, view.timezone)}</div>`
  }</section>
<p>${view.before ? `<a href="${query({ status: view.status })}">Newest</a>` : ''}${view.before && view.next ? ' · ' : ''}${
    view.next
      ? `<a href="${query({ status: view.status, before: view.next })}" rel="next">Older runs →</a>`
      : view.runs.length > 0
        ? '<span class="dim">End of the history.</span>'
        : ''
  }</p>
<footer><a href="/">Status page</a> · <a href="/api/runs">Runs (JSON)</a></footer>`;
  return htmlPage(`Runs · ${view.project} · Sluice`, body);
}
