import type { Catalog } from './collect-catalog.js';
import type { CompileResult } from './compile-project.js';
import { topologicalOrder } from './project-graph.js';
import { redactSecrets } from './project-internals.js';
import type { Project, ProjectNode } from './project.js';
import type { RunResult } from './run-project.js';

/** What the lineage page shows besides the project: the last run, compiled SQL, warehouse columns. */
export interface LineageInputs {
  readonly run?: RunResult;
  readonly compiled?: CompileResult;
  readonly catalog?: Catalog;
}

interface PageNode {
  id: string;
  name: string;
  kind: string;
  file: string;
  description: string;
  materialized?: string;
  status?: string;
  message?: string;
  sql: string;
  sqlKind: 'compiled' | 'raw' | 'none';
  columns: Array<{ name: string; type?: string; description?: string }>;
  parents: string[];
  layer: number;
  row: number;
  failures?: number;
  samples?: unknown[];
  tags: readonly string[];
}

function jsonForScript(value: unknown): string {
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

/** Layers by longest path from the roots (sources left, tests right), rows ordered by the parents' rows. */
function layout(nodes: PageNode[]): void {
  const byId = new Map(nodes.map((n) => [n.id, n] as const));
  const layerOf = new Map<string, number>();
  const parents = new Map(nodes.map((n) => [n.id, n.parents] as const));
  for (const id of topologicalOrder([...byId.keys()], parents)) {
    let value = 0;
    for (const parent of parents.get(id) ?? []) {
      const l = layerOf.get(parent);
      if (l !== undefined) value = Math.max(value, l + 1);
    }
    layerOf.set(id, value);
  }
  const layers = new Map<number, PageNode[]>();
  for (const node of nodes) {
    node.layer = layerOf.get(node.id) ?? 0;
    let list = layers.get(node.layer);
    if (!list) layers.set(node.layer, (list = []));
    list.push(node);
  }
  for (const l of [...layers.keys()].sort((a, b) => a - b)) {
    const list = layers.get(l) as PageNode[];
    const weight = (n: PageNode): number => {
      const rows = n.parents.map((p) => byId.get(p)?.row).filter((r): r is number => r !== undefined);
      return rows.length === 0 ? Number.POSITIVE_INFINITY : rows.reduce((a, b) => a + b, 0) / rows.length;
    };
    list.sort((a, b) => weight(a) - weight(b) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    list.forEach((n, i) => {
      n.row = i;
    });
  }
}

/** Each node as the page shows it: name, kind, SQL (compiled when known), columns, last result. */
function pageNodes(project: Project, inputs: LineageInputs): PageNode[] {
  const results = new Map((inputs.run?.results ?? []).map((r) => [r.id, r] as const));
  const nodes: PageNode[] = [];
  for (const node of project.nodes.values()) {
    const result = results.get(node.id);
    const compiled = result?.compiledSql ?? inputs.compiled?.nodes.get(node.id)?.sql;
    const raw = 'rawSql' in node && node.rawSql !== undefined ? node.rawSql : '';
    nodes.push({
      id: node.id,
      name: node.kind === 'source' ? `${node.sourceName}.${node.name}` : node.name,
      kind: node.kind === 'model' && node.materialized === 'ephemeral' ? 'ephemeral' : node.kind,
      file: node.file,
      description: node.description,
      ...(node.kind === 'model'
        ? { materialized: node.materialized }
        : node.kind === 'snapshot'
          ? { materialized: 'snapshot' }
          : {}),
      ...(result ? { status: result.status, message: result.message } : {}),
      sql: redactSecrets(project, compiled ?? raw),
      sqlKind: compiled !== undefined ? 'compiled' : raw !== '' ? 'raw' : 'none',
      columns: pageColumns(node, inputs.catalog?.[node.id]),
      parents: [...node.dependsOn],
      layer: 0,
      row: 0,
      ...(result?.failures === undefined ? {} : { failures: result.failures }),
      ...(result?.samples === undefined || result.samples.length === 0 ? {} : { samples: [...result.samples] }),
      tags: node.tags,
    });
  }
  return nodes;
}

/** The columns the warehouse has (with the documented descriptions), else the documented ones. */
function pageColumns(node: ProjectNode, actual: Catalog[string] | undefined): PageNode['columns'] {
  const documented = 'columns' in node ? node.columns : [];
  if (actual) {
    return actual.map((c) => ({
      name: c.name,
      type: c.type,
      description: documented.find((d) => d.name.toLowerCase() === c.name.toLowerCase())?.description ?? '',
    }));
  }
  return documented.map((d) => ({
    name: d.name,
    ...(d.dataType === undefined ? {} : { type: d.dataType }),
    description: d.description,
  }));
}

/** The page's style sheet. */
const PAGE_STYLE = `  :root { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: #1f2933; }
  body { margin: 0; display: grid; grid-template-columns: 1fr 440px; grid-template-rows: auto 1fr; height: 100vh; }
  header { grid-column: 1 / 3; display: flex; gap: 16px; align-items: center; padding: 8px 16px; border-bottom: 1px solid #d9e2ec; background: #f5f7fa; }
  header h1 { font-size: 16px; margin: 0; }
  header .summary { color: #52606d; font-size: 13px; }
  header input { margin-left: auto; padding: 4px 8px; width: 220px; }
  .legend { display: flex; gap: 8px; font-size: 12px; }
  .legend span { display: inline-flex; align-items: center; gap: 4px; }
  .legend i { width: 12px; height: 12px; border-radius: 3px; display: inline-block; border: 1px solid #9aa5b1; }
  #graph { overflow: auto; position: relative; }
  #panel { border-left: 1px solid #d9e2ec; overflow: auto; padding: 12px 16px; font-size: 13px; }
  #panel h2 { font-size: 15px; margin: 4px 0 8px; word-break: break-all; }
  #panel pre { background: #f5f7fa; padding: 8px; overflow: auto; font-size: 12px; white-space: pre; border-radius: 4px; }
  #panel table { border-collapse: collapse; width: 100%; }
  #panel td, #panel th { border-bottom: 1px solid #e4e7eb; padding: 3px 4px; text-align: left; vertical-align: top; }
  .node rect { stroke: #52606d; stroke-width: 1; rx: 6; cursor: pointer; }
  .node text { font-size: 12px; pointer-events: none; }
  .node.selected rect { stroke: #2680c2; stroke-width: 3; }
  .node.dim { opacity: 0.2; }
  .edge { fill: none; stroke: #9aa5b1; stroke-width: 1.2; }
  .edge.hi { stroke: #2680c2; stroke-width: 2; }
  .kind { color: #52606d; font-size: 12px; }
`;

/** The page's script: draws the graph from the embedded JSON, shows a node's details on click, filters by name. */
const PAGE_SCRIPT = `(function () {
  var nodes = JSON.parse(document.getElementById('lineage-data').textContent);
  var byId = {}; nodes.forEach(function (n) { byId[n.id] = n; });
  var W = 190, H = 30, GX = 70, GY = 14;
  var colours = { success: '#c6f7d0', pass: '#c6f7d0', warn: '#fff3c4', error: '#ffbdbd', fail: '#ffbdbd', skipped: '#e4e7eb', cancelled: '#e8daff' };
  var kindColour = { source: '#e3f8ff', model: '#ffffff', ephemeral: '#fafafa', snapshot: '#f0f4ff', seed: '#fff8e6', test: '#ffffff' };
  var maxLayer = 0, maxRow = 0;
  nodes.forEach(function (n) { maxLayer = Math.max(maxLayer, n.layer); maxRow = Math.max(maxRow, n.row); });
  var width = (maxLayer + 1) * (W + GX) + GX, height = (maxRow + 1) * (H + GY) + GY * 2;
  var svgNS = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(svgNS, 'svg');
  svg.setAttribute('width', width); svg.setAttribute('height', height);
  function x(n) { return GX / 2 + n.layer * (W + GX); }
  function y(n) { return GY + n.row * (H + GY); }
  var edges = [];
  nodes.forEach(function (n) {
    n.parents.forEach(function (pid) {
      var p = byId[pid]; if (!p) return;
      var path = document.createElementNS(svgNS, 'path');
      var x1 = x(p) + W, y1 = y(p) + H / 2, x2 = x(n), y2 = y(n) + H / 2, mx = (x1 + x2) / 2;
      path.setAttribute('d', 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2);
      path.setAttribute('class', 'edge');
      svg.appendChild(path);
      edges.push({ from: pid, to: n.id, el: path });
    });
  });
  var els = {};
  nodes.forEach(function (n) {
    var g = document.createElementNS(svgNS, 'g');
    g.setAttribute('class', 'node');
    g.setAttribute('transform', 'translate(' + x(n) + ',' + y(n) + ')');
    var r = document.createElementNS(svgNS, 'rect');
    r.setAttribute('width', W); r.setAttribute('height', H);
    r.setAttribute('fill', n.status ? colours[n.status] : kindColour[n.kind] || '#fff');
    if (n.kind === 'test') r.setAttribute('stroke-dasharray', '4 2');
    var t = document.createElementNS(svgNS, 'text');
    t.setAttribute('x', 8); t.setAttribute('y', H / 2 + 4);
    var label = (n.kind === 'source' ? '⛁ ' : n.kind === 'test' ? '✓ ' : n.kind === 'snapshot' ? '◷ ' : n.kind === 'seed' ? '▤ ' : '') + n.name;
    t.textContent = label.length > 28 ? label.slice(0, 27) + '…' : label;
    var tip = document.createElementNS(svgNS, 'title'); tip.textContent = n.name + ' (' + n.kind + (n.status ? ', ' + n.status : '') + ')';
    g.appendChild(r); g.appendChild(t); g.appendChild(tip);
    g.addEventListener('click', function () { select(n.id); });
    svg.appendChild(g);
    els[n.id] = g;
  });
  document.getElementById('graph').appendChild(svg);
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function select(id) {
    var n = byId[id];
    Object.keys(els).forEach(function (k) { els[k].classList.toggle('selected', k === id); });
    edges.forEach(function (e) { e.el.classList.toggle('hi', e.from === id || e.to === id); });
    var h = '<h2>' + esc(n.name) + '</h2><div class="kind">' + esc(n.kind) + (n.materialized ? ' · ' + esc(n.materialized) : '') + ' · ' + esc(n.file) + '</div>';
    if (n.tags && n.tags.length) h += '<p>tags: ' + n.tags.map(esc).join(', ') + '</p>';
    if (n.description) h += '<p>' + esc(n.description) + '</p>';
    if (n.status) h += '<p><b>' + esc(n.status) + '</b>: ' + esc(n.message || '') + '</p>';
    if (n.samples && n.samples.length) {
      var keys = Object.keys(n.samples[0]);
      h += '<h3>failing rows (' + esc(n.failures) + ', first ' + n.samples.length + ')</h3><table><tr>' + keys.map(function (k) { return '<th>' + esc(k) + '</th>'; }).join('') + '</tr>' +
        n.samples.map(function (r) { return '<tr>' + keys.map(function (k) { return '<td>' + esc(r[k] === null ? 'NULL' : r[k]) + '</td>'; }).join('') + '</tr>'; }).join('') + '</table>';
    }
    var up = n.parents.map(function (p) { return byId[p] ? byId[p].name : p; });
    if (up.length) h += '<p>reads: ' + up.map(esc).join(', ') + '</p>';
    if (n.columns.length) h += '<h3>columns</h3><table><tr><th>name</th><th>type</th><th>description</th></tr>' + n.columns.map(function (c) { return '<tr><td>' + esc(c.name) + '</td><td>' + esc(c.type || '') + '</td><td>' + esc(c.description || '') + '</td></tr>'; }).join('') + '</table>';
    if (n.sqlKind !== 'none') h += '<h3>' + (n.sqlKind === 'compiled' ? 'compiled SQL' : 'SQL (template)') + '</h3><pre>' + esc(n.sql) + '</pre>';
    document.getElementById('panel').innerHTML = h;
  }
  document.getElementById('search').addEventListener('input', function (ev) {
    var q = ev.target.value.toLowerCase();
    Object.keys(els).forEach(function (k) { els[k].classList.toggle('dim', q !== '' && byId[k].name.toLowerCase().indexOf(q) === -1); });
  });
})();
`;

/**
 * A self-contained HTML page (no external assets, no build step) drawing the project's lineage — sources →
 * models → snapshots → tests — coloured by the last run's status; clicking a node shows its SQL (compiled when
 * known), its columns and its last result.
 */
export function renderLineagePage(project: Project, inputs: LineageInputs = {}): string {
  const nodes = pageNodes(project, inputs);
  layout(nodes);
  const title = `${project.name} — lineage`;
  const summary = inputs.run
    ? `last run ${inputs.run.finishedAt}: ${Object.entries(inputs.run.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}`
    : 'not run yet';
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
  <span class="summary">${escapeHtml(summary)}</span>
  <span class="legend">
    <span><i style="background:#c6f7d0"></i>success / pass</span>
    <span><i style="background:#fff3c4"></i>warn</span>
    <span><i style="background:#ffbdbd"></i>error / fail</span>
    <span><i style="background:#e4e7eb"></i>skipped</span>
    <span><i style="background:#e8daff"></i>cancelled</span>
    <span><i style="background:#ffffff"></i>not run</span>
  </span>
  <input id="search" placeholder="filter by name…" aria-label="filter nodes by name">
</header>
<div id="graph"></div>
<aside id="panel"><p>Click a node to see its SQL, its columns and its last result.</p><p>${nodes.length} nodes.</p></aside>
<script id="lineage-data" type="application/json">${jsonForScript(nodes)}</script>
<script>
${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
