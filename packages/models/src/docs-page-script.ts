/**
 * The docs page's script (plain ES5, inline, no library): reads the embedded `DocsPageData`, builds the model tree's
 * top level, and builds the rest only when asked — a folder's entries when it is opened, at most SEARCH_LIMIT search
 * results, one node's page (tests with marks, columns, depends on / used by, focused lineage, template and compiled
 * SQL) when its `#!/node/<id>` address is opened. Every text goes through `textContent`, never `innerHTML`.
 */
export const DOCS_PAGE_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('docs-data').textContent);
  var nodes = data.nodes, tests = data.tests, byId = {};
  for (var k = 0; k < nodes.length; k++) byId[nodes[k].id] = k;
  var MARK = { pass: '\\u2713', warn: '\\u26a0', fail: '\\u2717', skipped: '\\u21b7', 'not-run': '\\u2013' };
  var MARK_TEXT = { pass: 'passed', warn: 'warned', fail: 'failed', skipped: 'skipped', 'not-run': 'not run' };
  var SEARCH_LIMIT = 200, FOLDER_LIMIT = 500, LINEAGE_LIMIT = 40, LINEAGE_LEVELS = 4;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var a in attrs) {
      if (attrs[a] === undefined || attrs[a] === null) continue;
      if (a === 'text') e.textContent = attrs[a]; else if (a === 'cls') e.className = attrs[a]; else e.setAttribute(a, attrs[a]);
    }
    if (children) for (var c = 0; c < children.length; c++) {
      var child = children[c];
      if (child === null || child === undefined) continue;
      e.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return e;
  }
  function markOf(status) {
    if (status === undefined) return 'not-run';
    if (status === 'pass' || status === 'success') return 'pass';
    if (status === 'warn') return 'warn';
    if (status === 'skipped' || status === 'cancelled') return 'skipped';
    return 'fail';
  }
  function markSpan(mark) {
    return el('span', { cls: 'mark mark-' + mark, title: MARK_TEXT[mark], 'data-mark': mark }, [mark === 'not-run' ? 'not run' : MARK[mark]]);
  }
  function href(i) { return '#!/node/' + encodeURIComponent(nodes[i].id); }
  function link(i) { return el('a', { href: href(i), text: nodes[i].name, title: nodes[i].id, 'data-node': nodes[i].id }); }
  function byName(a, b) { return nodes[a].name < nodes[b].name ? -1 : nodes[a].name > nodes[b].name ? 1 : 0; }

  // The tree: package, resource folder, sub-folders. Only the top level is built at load.
  var root = { folders: {}, names: [], nodes: [] };
  for (var n = 0; n < nodes.length; n++) {
    var f = root, p = nodes[n].path;
    for (var d = 0; d < p.length; d++) {
      var next = f.folders['/' + p[d]];
      if (!next) { next = f.folders['/' + p[d]] = { folders: {}, names: [], nodes: [] }; f.names.push(p[d]); }
      f = next;
    }
    f.nodes.push(n);
  }
  function countOf(folder) {
    if (folder.count === undefined) {
      var c = folder.nodes.length;
      for (var i = 0; i < folder.names.length; i++) c += countOf(folder.folders['/' + folder.names[i]]);
      folder.count = c;
    }
    return folder.count;
  }
  function renderLeaves(list, from, into) {
    var end = Math.min(list.length, from + FOLDER_LIMIT);
    for (var i = from; i < end; i++) into.appendChild(el('li', { cls: 'leaf kind-' + nodes[list[i]].kind }, [link(list[i])]));
    if (end < list.length) {
      var more = el('button', { type: 'button', cls: 'more', text: 'show ' + (list.length - end) + ' more' });
      var li = el('li', null, [more]);
      more.addEventListener('click', function () { into.removeChild(li); renderLeaves(list, end, into); });
      into.appendChild(li);
    }
  }
  function renderFolder(folder, into) {
    folder.names.slice().sort().forEach(function (name) {
      var sub = folder.folders['/' + name], built = false;
      var arrow = document.createTextNode('\\u25b8 ');
      var toggle = el('button', { type: 'button', cls: 'toggle', 'aria-expanded': 'false', 'data-folder': name }, [arrow, name, el('span', { cls: 'count', text: ' ' + countOf(sub) })]);
      var ul = el('ul');
      ul.hidden = true;
      toggle.addEventListener('click', function () {
        if (!built) { renderFolder(sub, ul); built = true; }
        ul.hidden = !ul.hidden;
        toggle.setAttribute('aria-expanded', String(!ul.hidden));
        arrow.textContent = ul.hidden ? '\\u25b8 ' : '\\u25be ';
      });
      into.appendChild(el('li', { cls: 'folder' }, [toggle, ul]));
    });
    renderLeaves(folder.nodes.slice().sort(byName), 0, into);
  }

  // Search over names, descriptions and column names; the lower-cased texts are made at the first search.
  var hay = null;
  function search(q) {
    if (hay === null) hay = nodes.map(function (x) {
      return [x.name.toLowerCase(), x.description.toLowerCase(), x.columns.map(function (c) { return c.name.toLowerCase(); })];
    });
    var found = [[], [], []];
    for (var i = 0; i < hay.length; i++) {
      if (hay[i][0].indexOf(q) >= 0) { found[0].push({ i: i, why: 'name' }); continue; }
      if (hay[i][1].indexOf(q) >= 0) { found[1].push({ i: i, why: 'description' }); continue; }
      for (var c = 0; c < hay[i][2].length; c++) if (hay[i][2][c].indexOf(q) >= 0) { found[2].push({ i: i, why: 'column ' + nodes[i].columns[c].name }); break; }
    }
    found[0].sort(function (a, b) { return byName(a.i, b.i); });
    return found[0].concat(found[1], found[2]);
  }
  var searchBox = document.getElementById('search'), results = document.getElementById('results'), tree = document.getElementById('tree');
  var lastFound = [], pending = 0;
  function showSearch() {
    var q = searchBox.value.trim().toLowerCase();
    results.textContent = '';
    tree.hidden = q !== '';
    results.hidden = q === '';
    if (q === '') { lastFound = []; return; }
    lastFound = search(q);
    results.appendChild(el('p', { cls: 'count', id: 'result-count', text: lastFound.length + (lastFound.length === 1 ? ' match' : ' matches') + (lastFound.length > SEARCH_LIMIT ? ' (first ' + SEARCH_LIMIT + ' shown)' : '') }));
    var ul = el('ul');
    lastFound.slice(0, SEARCH_LIMIT).forEach(function (r) {
      ul.appendChild(el('li', { cls: 'leaf kind-' + nodes[r.i].kind }, [link(r.i), el('span', { cls: 'why', text: ' ' + nodes[r.i].kind + ' \\u00b7 ' + r.why })]));
    });
    results.appendChild(ul);
  }
  searchBox.addEventListener('input', function () { clearTimeout(pending); pending = setTimeout(showSearch, 60); });
  searchBox.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    clearTimeout(pending); showSearch();
    if (lastFound.length > 0) location.hash = href(lastFound[0].i);
  });

  function section(id, title, body) { return el('section', { id: id }, [el('h3', { text: title })].concat(body)); }
  function testRows(list, withColumn) {
    var rows = list.map(function (t) {
      var test = tests[t];
      var result = test.status === undefined ? 'never run' : test.status + (test.failures ? ' (' + test.failures + ' failing rows)' : '') + (test.message ? ': ' + test.message : '');
      return el('tr', { 'data-test': test.name, 'data-mark': test.mark }, [
        el('td', null, [markSpan(test.mark)]), el('td', { text: test.name }),
        withColumn ? el('td', { text: test.column || '' }) : null,
        el('td', null, [(test.severity ? 'severity ' + test.severity + ' \\u00b7 ' : '') + result, testDetails(test)])]);
    });
    return el('table', null, [el('tr', null, [el('th', { text: '' }), el('th', { text: 'test' }), withColumn ? el('th', { text: 'column' }) : null, el('th', { text: 'last result' })])].concat(rows));
  }
  // A test's query and failing rows, built when opened.
  function testDetails(test) {
    if (test.sql === undefined && !test.samples) return null;
    var details = el('details', { cls: 'test-details' }, [el('summary', { text: test.samples ? 'SQL and failing rows' : 'SQL' })]);
    details.addEventListener('toggle', function () {
      if (details.childNodes.length > 1) return;
      if (test.samples && test.samples.length) {
        var keys = Object.keys(test.samples[0]);
        details.appendChild(el('table', { cls: 'samples' }, [el('tr', null, keys.map(function (k) { return el('th', { text: k }); }))].concat(
          test.samples.map(function (row) { return el('tr', null, keys.map(function (k) { return el('td', { text: row[k] === null ? 'NULL' : String(row[k]) }); })); }))));
      }
      if (test.sql !== undefined) details.appendChild(el('pre', { text: test.sql }));
    });
    return details;
  }
  function columnsTable(n) {
    var rows = n.columns.map(function (c) {
      var marks = el('td', { cls: 'col-tests' });
      c.tests.forEach(function (t) { marks.appendChild(el('span', { cls: 'col-test', 'data-test': tests[t].name, 'data-mark': tests[t].mark }, [markSpan(tests[t].mark), ' ' + (tests[t].name) + ' '])); });
      return el('tr', { 'data-column': c.name }, [el('td', { text: c.name }), el('td', { text: c.type || '' }), el('td', { text: c.description }), marks]);
    });
    return el('table', null, [el('tr', null, [el('th', { text: 'column' }), el('th', { text: 'type' }), el('th', { text: 'description' }), el('th', { text: 'tests' })])].concat(rows));
  }
  function nodeList(list) {
    if (list.length === 0) return el('p', { cls: 'none', text: 'none' });
    return el('ul', { cls: 'links' }, list.slice().sort(byName).map(function (i) { return el('li', { cls: 'kind-' + nodes[i].kind }, [link(i)]); }));
  }
  function allTests(n) {
    var list = n.tests.slice();
    n.columns.forEach(function (c) { list = list.concat(c.tests); });
    return list;
  }

  // Focused lineage: the node's ancestors (left) and descendants (right) only, by distance, drawn as SVG.
  function walk(start, step, sign, depth) {
    var queue = [start], seen = {}, at = 0;
    seen[start] = true;
    while (at < queue.length) {
      var c = queue[at++];
      var next = nodes[c][step];
      for (var i = 0; i < next.length; i++) if (!seen[next[i]]) { seen[next[i]] = true; depth[next[i]] = depth[c] + sign; queue.push(next[i]); }
    }
    return seen;
  }
  function lineage(focus, levels) {
    var depth = {}; depth[focus] = 0;
    var up = walk(focus, 'parents', -1, depth), down = walk(focus, 'children', 1, depth);
    var columns = {}, min = 0, max = 0, deepest = 0;
    Object.keys(depth).forEach(function (key) {
      var i = Number(key), dd = depth[key];
      deepest = Math.max(deepest, Math.abs(dd));
      if (Math.abs(dd) > levels) return;
      (columns[dd] = columns[dd] || []).push(i);
      if (dd < min) min = dd; if (dd > max) max = dd;
    });
    var W = 180, H = 26, GX = 60, GY = 10, svgNS = 'http://www.w3.org/2000/svg', pos = {}, tallest = 0, hidden = [];
    for (var dd = min; dd <= max; dd++) {
      var list = columns[dd].sort(byName);
      if (list.length > LINEAGE_LIMIT) { hidden.push({ d: dd, n: list.length - LINEAGE_LIMIT }); list = list.slice(0, LINEAGE_LIMIT); }
      list.forEach(function (i, row) { pos[i] = { x: (dd - min) * (W + GX) + 10, y: row * (H + GY) + 10 }; });
      tallest = Math.max(tallest, list.length + (columns[dd].length > LINEAGE_LIMIT ? 1 : 0));
    }
    var svg = document.createElementNS(svgNS, 'svg');
    svg.setAttribute('width', (max - min + 1) * (W + GX) + 20);
    svg.setAttribute('height', tallest * (H + GY) + 20);
    function svgEl(tag, attrs) { var e = document.createElementNS(svgNS, tag); for (var a in attrs) e.setAttribute(a, attrs[a]); return e; }
    Object.keys(pos).forEach(function (key) {
      var i = Number(key);
      nodes[i].parents.forEach(function (pp) {
        if (!pos[pp] || !((up[pp] && up[i]) || (down[pp] && down[i]))) return;
        var x1 = pos[pp].x + W, y1 = pos[pp].y + H / 2, x2 = pos[i].x, y2 = pos[i].y + H / 2, mx = (x1 + x2) / 2;
        svg.appendChild(svgEl('path', { d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2, 'class': 'edge' }));
      });
    });
    Object.keys(pos).forEach(function (key) {
      var i = Number(key), node = nodes[i];
      var g = svgEl('g', { 'class': 'lnode kind-' + node.kind + (i === focus ? ' focus' : ''), transform: 'translate(' + pos[i].x + ',' + pos[i].y + ')', 'data-node': node.id });
      g.appendChild(svgEl('rect', { width: W, height: H, rx: 5, 'class': node.status ? 'st-' + markOf(node.status) : '' }));
      var text = svgEl('text', { x: 8, y: H / 2 + 4 });
      text.textContent = node.name.length > 24 ? node.name.slice(0, 23) + '\\u2026' : node.name;
      var tip = svgEl('title', {}); tip.textContent = node.id + (node.status ? ' (' + node.status + ')' : '');
      g.appendChild(text); g.appendChild(tip);
      g.addEventListener('click', function () { location.hash = href(i); });
      svg.appendChild(g);
    });
    hidden.forEach(function (h) {
      var t = svgEl('text', { x: (h.d - min) * (W + GX) + 10, y: LINEAGE_LIMIT * (H + GY) + 10 + H / 2, 'class': 'more' });
      t.textContent = '+' + h.n + ' more';
      svg.appendChild(t);
    });
    var count = Object.keys(up).length - 1, below = Object.keys(down).length - 1, more = null;
    if (deepest > levels) {
      more = el('button', { type: 'button', cls: 'more', id: 'all-levels', text: 'show all ' + deepest + ' levels' });
      more.addEventListener('click', function () { drawLineage(focus, Infinity); });
    }
    var shown = (deepest > levels ? '; ' + levels + ' levels each way shown' : '') + (hidden.length ? '; at most ' + LINEAGE_LIMIT + ' per level' : '');
    return [el('p', { cls: 'count' }, [count + ' upstream, ' + below + ' downstream' + shown, more ? ' ' : null, more]), el('div', { cls: 'lineage' }, [svg])];
  }
  function drawLineage(focus, levels) {
    var at = document.getElementById('lineage');
    while (at.childNodes.length > 1) at.removeChild(at.lastChild);
    lineage(focus, levels).forEach(function (e) { at.appendChild(e); });
    var box = at.querySelector('.lineage'), focusBox = at.querySelector('.lnode.focus');
    if (box && focusBox) box.scrollLeft = Math.max(0, focusBox.getBoundingClientRect().left - box.getBoundingClientRect().left - box.clientWidth / 2 + 90);
  }

  // The node's place in the tree: its folders opened (built if need be), its entry marked current.
  var current = null;
  function reveal(i) {
    if (current) current.classList.remove('current');
    current = null;
    var ul = tree, p = nodes[i].path;
    for (var d = 0; d < p.length; d++) {
      var button = null;
      for (var c = 0; c < ul.children.length && !button; c++) {
        var first = ul.children[c].firstChild;
        if (first && first.tagName === 'BUTTON' && first.getAttribute('data-folder') === p[d]) button = first;
      }
      if (!button) return;
      if (button.getAttribute('aria-expanded') !== 'true') button.click();
      ul = button.nextSibling;
    }
    for (var k = 0; k < ul.children.length; k++) {
      var a = ul.children[k].firstChild;
      if (a && a.tagName === 'A' && a.getAttribute('data-node') === nodes[i].id) {
        current = a;
        a.classList.add('current');
        if (!tree.hidden) a.scrollIntoView({ block: 'nearest' });
        return;
      }
    }
  }
  function show(i) {
    reveal(i);
    var n = nodes[i], main = document.getElementById('main');
    main.textContent = '';
    var all = allTests(n);
    main.appendChild(el('h2', { id: 'node-title', text: n.name }));
    main.appendChild(el('div', { cls: 'meta', text: [n.kind, n.materialized, n.file].filter(Boolean).join(' \\u00b7 ') }));
    if (n.tags.length) main.appendChild(el('p', { cls: 'tags', text: 'tags: ' + n.tags.join(', ') }));
    main.appendChild(el('p', { id: 'node-status' }, n.status === undefined ? [markSpan('not-run'), ' in the last results'] : [markSpan(markOf(n.status)), ' ' + n.status + (n.message ? ': ' + n.message : '')]));
    main.appendChild(el('p', { id: 'description', cls: n.description ? 'description' : 'none', text: n.description || 'No description.' }));
    main.appendChild(section('tests', 'Tests (' + all.length + ')', [all.length ? testRows(all, true) : el('p', { cls: 'none', text: 'no tests' })]));
    main.appendChild(section('columns', 'Columns (' + n.columns.length + ')', [n.columns.length ? columnsTable(n) : el('p', { cls: 'none', text: 'no columns known' })]));
    main.appendChild(el('div', { cls: 'two' }, [section('depends-on', 'Depends on (' + n.parents.length + ')', [nodeList(n.parents)]), section('used-by', 'Used by (' + n.children.length + ')', [nodeList(n.children)])]));
    main.appendChild(section('lineage', 'Lineage', []));
    drawLineage(i, LINEAGE_LEVELS);
    main.appendChild(el('div', { cls: 'two sql' }, [
      section('source-sql', 'Source', [n.raw ? el('pre', { text: n.raw }) : el('p', { cls: 'none', text: 'no SQL template (' + n.kind + ')' })]),
      section('compiled-sql', 'Compiled', [n.compiled !== undefined ? el('pre', { text: n.compiled }) : el('p', { cls: 'none', text: n.compiledPath ? 'not compiled by the last run (' + (n.message || 'not run') + '); an earlier one wrote target/' + n.compiledPath : 'not compiled' })])]));
    document.title = n.name + ' \\u2014 ' + data.project + ' docs';
    main.scrollTop = 0;
  }
  function home() {
    var main = document.getElementById('main'), kinds = {};
    main.textContent = '';
    nodes.forEach(function (x) { kinds[x.kind] = (kinds[x.kind] || 0) + 1; });
    var marks = {};
    tests.forEach(function (t) { marks[t.mark] = (marks[t.mark] || 0) + 1; });
    main.appendChild(el('h2', { id: 'node-title', text: data.project }));
    main.appendChild(el('p', { text: Object.keys(kinds).sort().map(function (x) { return kinds[x] + ' ' + x + 's'; }).join(', ') + ', ' + tests.length + ' tests' }));
    main.appendChild(el('p', { id: 'test-summary' }, Object.keys(MARK).filter(function (m) { return marks[m]; }).map(function (m) { return el('span', { cls: 'sum' }, [markSpan(m), ' ' + marks[m] + ' ' + MARK_TEXT[m] + '  ']); })));
    main.appendChild(el('p', { cls: 'none', text: 'Pick a model in the tree, or search names, descriptions and columns.' }));
  }
  function route() {
    var m = /^#!\\/node\\/(.+)$/.exec(location.hash);
    var i = m ? byId[decodeURIComponent(m[1])] : undefined;
    if (i === undefined) home(); else show(i);
  }
  window.addEventListener('hashchange', route);
  renderFolder(root, tree);
  var tops = tree.querySelectorAll(':scope > li > button.toggle');
  for (var t = 0; t < tops.length; t++) if (tops[t].getAttribute('data-folder') === data.project) tops[t].click();
  route();
  document.documentElement.setAttribute('data-ready', '1');
})();
`;
