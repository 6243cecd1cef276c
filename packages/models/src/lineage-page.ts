import type { Catalog } from './collect-catalog.js';
import type { CompileResult } from './compile-project.js';
import { type DocsPageData, docsPageData } from './docs-page-data.js';
import { DOCS_PAGE_SCRIPT } from './docs-page-script.js';
import { type LastResults, lastResultsFromRun } from './last-results.js';
import type { Project } from './project.js';
import type { RunResult } from './run-project.js';

/** What the docs page shows besides the project: the last results, compiled SQL, warehouse columns. */
export interface LineageInputs {
  /** The run just finished (a build): its results colour the page. */
  readonly run?: RunResult;
  /** Results of an earlier run (`docs generate` reads target/run_results.json); `run` wins when both are given. */
  readonly results?: LastResults;
  readonly compiled?: CompileResult;
  readonly catalog?: Catalog;
}

/** JSON safe inside a `<script>` element: no `<` (so no `</script>` nor `<!--`), no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** The page's style sheet. */
const PAGE_STYLE = `  :root { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: #1f2933; font-size: 14px; }
  body { margin: 0; display: grid; grid-template-columns: 320px 1fr; grid-template-rows: auto 1fr; height: 100vh; }
  header { grid-column: 1 / 3; display: flex; gap: 16px; align-items: center; padding: 8px 16px; border-bottom: 1px solid #d9e2ec; background: #f5f7fa; }
  header h1 { font-size: 16px; margin: 0; }
  header .summary { color: #52606d; font-size: 13px; }
  nav { border-right: 1px solid #d9e2ec; overflow: auto; padding: 8px; }
  nav input { width: 100%; box-sizing: border-box; padding: 6px 8px; margin-bottom: 8px; }
  nav ul { list-style: none; margin: 0; padding-left: 14px; }
  nav > div > ul { padding-left: 0; }
  nav li { white-space: nowrap; }
  nav button { border: 0; background: none; cursor: pointer; font: inherit; padding: 2px 0; }
  nav .count, .why, .none, .meta { color: #7b8794; font-size: 12px; }
  nav a { text-decoration: none; color: #1f2933; }
  nav a:hover { text-decoration: underline; }
  nav a.current { font-weight: bold; background: #e3f0fb; border-radius: 3px; padding: 0 3px; }
  .kind-source > a::before { content: '\\26c1  '; }
  .kind-seed > a::before { content: '\\25a4  '; }
  .kind-snapshot > a::before { content: '\\25f7  '; }
  main { overflow: auto; padding: 12px 24px; }
  main h2 { margin: 4px 0; word-break: break-all; }
  main h3 { font-size: 14px; margin: 18px 0 6px; }
  table { border-collapse: collapse; }
  td, th { border-bottom: 1px solid #e4e7eb; padding: 3px 8px 3px 4px; text-align: left; vertical-align: top; }
  pre { background: #f5f7fa; padding: 8px; overflow: auto; font-size: 12px; border-radius: 4px; max-height: 480px; }
  .two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
  .two > section { min-width: 0; }
  .mark { display: inline-block; min-width: 1.2em; font-weight: bold; }
  .mark-pass { color: #1f8a3b; } .mark-warn { color: #b7791f; } .mark-fail { color: #c81e1e; }
  .mark-skipped { color: #616e7c; } .mark-not-run { color: #7b8794; font-weight: normal; font-size: 12px; }
  .test-details summary { cursor: pointer; color: #2680c2; font-size: 12px; }
  .test-details pre { max-width: 70vw; }
  .col-test { display: inline-block; margin-right: 8px; font-size: 12px; }
  .lineage { overflow: auto; border: 1px solid #e4e7eb; border-radius: 4px; max-height: 520px; }
  .lnode { cursor: pointer; }
  .lnode rect { fill: #ffffff; stroke: #52606d; }
  .lnode.kind-source rect { fill: #e3f8ff; } .lnode.kind-seed rect { fill: #fff8e6; } .lnode.kind-snapshot rect { fill: #f0f4ff; }
  .lnode rect.st-pass { fill: #e3f9e5; } .lnode rect.st-warn { fill: #fff3c4; } .lnode rect.st-fail { fill: #ffe3e3; } .lnode rect.st-skipped { fill: #e4e7eb; }
  .lnode.focus rect { stroke: #2680c2; stroke-width: 3; }
  .lnode text { font-size: 12px; pointer-events: none; }
  .edge { fill: none; stroke: #9aa5b1; stroke-width: 1.2; }
  svg text.more { font-size: 12px; fill: #7b8794; }
`;

/** The header's line on the results: where they come from and when they were produced. */
function resultsLine(data: DocsPageData): string {
  if (data.results === undefined) return 'no run results yet: every test shows "not run"';
  const { producedAt, source } = data.results;
  return source === 'this run'
    ? `results of this run, ${producedAt}`
    : `results from ${source}, produced ${producedAt}`;
}

/**
 * The docs page: one self-contained HTML file (inline script and style, no external asset) embedding the project as
 * JSON (`docsPageData`) and rendering it lazily — a searchable model tree, each node's page with its columns, its
 * tests marked by their last result (✓ ⚠ ✗ ↷ or "not run"), what it depends on and what uses it, its focused lineage,
 * and its template beside its compiled SQL.
 */
export function renderLineagePage(project: Project, inputs: LineageInputs = {}): string {
  const results = inputs.run ? lastResultsFromRun(inputs.run) : inputs.results;
  const data = docsPageData(project, {
    ...(inputs.compiled === undefined ? {} : { compiled: inputs.compiled }),
    ...(inputs.catalog === undefined ? {} : { catalog: inputs.catalog }),
    ...(results === undefined ? {} : { results }),
  });
  const title = `${project.name} — docs`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${PAGE_STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(title)}</h1>
  <span class="summary" id="results-line">${escapeHtml(resultsLine(data))}</span>
</header>
<nav>
  <input id="search" type="search" placeholder="search models, descriptions, columns…" aria-label="search models, descriptions and columns">
  <div><ul id="tree"></ul><div id="results" hidden></div></div>
</nav>
<main id="main"><p>Loading ${data.nodes.length} nodes…</p></main>
<script id="docs-data" type="application/json">${jsonForScript(data)}</script>
<script>
${DOCS_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
