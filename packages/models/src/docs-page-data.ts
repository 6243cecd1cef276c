import type { Catalog } from './collect-catalog.js';
import { type CompileResult, compiledPathOf } from './compile-project.js';
import type { LastResults } from './last-results.js';
import { redactSecrets } from './project-internals.js';
import type { Project, ProjectNode, TestNode } from './project.js';

/** How a test's last result is shown: ✓ pass, ⚠ warn, ✗ fail or error, ↷ skipped or cancelled, or not run. */
export type TestMark = 'pass' | 'warn' | 'fail' | 'skipped' | 'not-run';

/** A data test as the docs page lists it, under its model (and column): never a node of the graph. */
export interface DocsPageTest {
  readonly id: string;
  readonly name: string;
  /** The column the test is declared on (generic tests on a column). */
  readonly column?: string;
  readonly mark: TestMark;
  /** The last result's status as recorded (`pass`, `warn`, `fail`, `error`, `skipped`), absent when never run. */
  readonly status?: string;
  readonly message?: string;
  readonly failures?: number;
  readonly severity?: string;
  readonly file: string;
  /** The compiled query (secrets redacted), when compiled or run. */
  readonly sql?: string;
  /** Up to five failing rows of the run just finished. */
  readonly samples?: readonly Readonly<Record<string, unknown>>[];
}

/** A column: name, type (from the warehouse catalog, else the property file's `data_type`), description, tests. */
export interface DocsPageColumn {
  readonly name: string;
  readonly type?: string;
  readonly description: string;
  /** Indexes into `DocsPageData.tests`. */
  readonly tests: readonly number[];
}

/** A model, seed, snapshot or source as the page shows it. Parents and children are indexes into `nodes`. */
export interface DocsPageNode {
  readonly id: string;
  readonly name: string;
  readonly kind: 'model' | 'seed' | 'snapshot' | 'source';
  readonly materialized?: string;
  /** Its place in the tree: package, resource folder (`models`, `seeds`, `snapshots`, `sources`), sub-folders. */
  readonly path: readonly string[];
  readonly file: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly columns: readonly DocsPageColumn[];
  /** Tests on the node itself (not on one of its columns): indexes into `DocsPageData.tests`. */
  readonly tests: readonly number[];
  readonly parents: readonly number[];
  readonly children: readonly number[];
  /** The template as written (secrets redacted); empty for seeds and sources. */
  readonly raw: string;
  /** The compiled SQL (secrets redacted), when compiled or run. */
  readonly compiled?: string;
  /** Without `compiled` (a node a change-aware build reused): where an earlier run wrote it, under target/. */
  readonly compiledPath?: string;
  /** The node's own last result (models, seeds, snapshots). */
  readonly status?: string;
  readonly message?: string;
}

/** Everything the page embeds as JSON: what its script renders lazily. */
export interface DocsPageData {
  readonly project: string;
  /** Where the results come from and when they were produced; absent when there are none. */
  readonly results?: { readonly producedAt: string; readonly source: string };
  readonly nodes: readonly DocsPageNode[];
  readonly tests: readonly DocsPageTest[];
}

/** What the page shows besides the project: compiled SQL, warehouse columns, the last results. */
export interface DocsPageInputs {
  readonly compiled?: CompileResult;
  readonly catalog?: Catalog;
  readonly results?: LastResults;
}

/** The mark of a recorded status (dbt's and Sluice's statuses). */
export function testMark(status: string | undefined): TestMark {
  switch (status) {
    case undefined:
      return 'not-run';
    case 'pass':
    case 'success':
      return 'pass';
    case 'warn':
      return 'warn';
    case 'skipped':
    case 'cancelled':
      return 'skipped';
    default:
      return 'fail';
  }
}

const FOLDER: Record<DocsPageNode['kind'], string> = {
  model: 'models',
  seed: 'seeds',
  snapshot: 'snapshots',
  source: 'sources',
};

function treePath(node: Exclude<ProjectNode, TestNode>): string[] {
  const pkg = node.fqn[0] ?? '';
  if (node.kind === 'source') return [pkg, FOLDER.source, node.sourceName];
  return [pkg, FOLDER[node.kind], ...node.fqn.slice(1, -1)];
}

function columnsOf(node: Exclude<ProjectNode, TestNode>, actual: Catalog[string] | undefined) {
  const documented = node.columns;
  const columns: Array<{ name: string; type?: string; description: string; tests: number[] }> = actual
    ? actual.map((c) => ({
        name: c.name,
        type: c.type,
        description: documented.find((d) => d.name.toLowerCase() === c.name.toLowerCase())?.description ?? '',
        tests: [],
      }))
    : documented.map((d) => ({
        name: d.name,
        ...(d.dataType === undefined ? {} : { type: d.dataType }),
        description: d.description,
        tests: [],
      }));
  return columns;
}

/** The test as listed, with its mark from the last results. */
function pageTest(project: Project, test: TestNode, inputs: DocsPageInputs): DocsPageTest {
  const result = inputs.results?.byId.get(test.id);
  const sql = inputs.compiled?.nodes.get(test.id)?.sql ?? result?.compiledSql;
  return {
    id: test.id,
    name: test.name,
    ...(test.columnName === undefined ? {} : { column: test.columnName }),
    mark: testMark(result?.status),
    ...(result === undefined
      ? {}
      : {
          status: result.status,
          message: result.message,
          ...(result.failures === undefined ? {} : { failures: result.failures }),
          ...(result.samples === undefined ? {} : { samples: result.samples }),
        }),
    ...(test.config.severity === undefined ? {} : { severity: test.config.severity }),
    file: test.file,
    ...(sql === undefined ? {} : { sql: redactSecrets(project, sql) }),
  };
}

/**
 * The page's data model, a pure function of the project and its inputs: every model, seed, snapshot and source with
 * its tree path, columns, SQL (template and compiled, secrets redacted), parents and children (as indexes), and its
 * tests with honest marks (`not-run` where the last results have none). Tests are attached to the node they are
 * declared on (generic tests, by column when they name one) or to every node they read (singular tests).
 */
export function docsPageData(project: Project, inputs: DocsPageInputs = {}): DocsPageData {
  const index = new Map<string, number>();
  const nodes: Array<
    Omit<DocsPageNode, 'columns' | 'tests' | 'parents' | 'children'> & {
      columns: ReturnType<typeof columnsOf>;
      tests: number[];
      parents: number[];
      children: number[];
    }
  > = [];
  const testNodes: TestNode[] = [];
  for (const node of project.nodes.values()) {
    if (node.kind === 'test') {
      testNodes.push(node);
      continue;
    }
    const result = inputs.results?.byId.get(node.id);
    const compiled = inputs.compiled?.nodes.get(node.id)?.sql ?? result?.compiledSql;
    const raw = 'rawSql' in node ? node.rawSql : '';
    index.set(node.id, nodes.length);
    nodes.push({
      id: node.id,
      name: node.kind === 'source' ? `${node.sourceName}.${node.name}` : node.name,
      kind: node.kind,
      ...(node.kind === 'model'
        ? { materialized: node.materialized }
        : node.kind === 'snapshot'
          ? { materialized: 'snapshot' }
          : node.kind === 'seed'
            ? { materialized: 'seed' }
            : {}),
      path: treePath(node),
      file: node.file,
      description: node.description,
      tags: node.tags,
      columns: columnsOf(node, inputs.catalog?.[node.id]),
      tests: [],
      parents: [],
      children: [],
      raw: redactSecrets(project, raw),
      ...(compiled !== undefined
        ? { compiled: redactSecrets(project, compiled) }
        : node.kind === 'model' || node.kind === 'snapshot'
          ? { compiledPath: compiledPathOf(project, node) }
          : {}),
      ...(result === undefined ? {} : { status: result.status, message: result.message }),
    });
  }
  for (const node of nodes) {
    for (const parent of project.parents.get(node.id) ?? []) {
      const p = index.get(parent);
      if (p === undefined) continue;
      node.parents.push(p);
      nodes[p]?.children.push(index.get(node.id) as number);
    }
  }
  const tests: DocsPageTest[] = [];
  for (const test of testNodes) {
    const at = tests.length;
    tests.push(pageTest(project, test, inputs));
    attachTest(test, at, nodes, index);
  }
  return {
    project: project.name,
    ...(inputs.results === undefined
      ? {}
      : { results: { producedAt: inputs.results.producedAt, source: inputs.results.source } }),
    nodes,
    tests,
  };
}

/** List a test under the node it is declared on (its column when it names one), else under every node it reads. */
function attachTest(
  test: TestNode,
  at: number,
  nodes: Array<{ columns: Array<{ name: string; description: string; tests: number[] }>; tests: number[] }>,
  index: ReadonlyMap<string, number>,
): void {
  const owner = test.attachedTo === undefined ? undefined : index.get(test.attachedTo);
  if (owner === undefined) {
    for (const id of test.dependsOn) {
      const n = index.get(id);
      if (n !== undefined) nodes[n]?.tests.push(at);
    }
    return;
  }
  const node = nodes[owner];
  if (node === undefined) return;
  if (test.columnName === undefined) {
    node.tests.push(at);
    return;
  }
  const wanted = test.columnName.toLowerCase();
  let column = node.columns.find((c) => c.name.toLowerCase() === wanted);
  if (column === undefined) {
    column = { name: test.columnName, description: '', tests: [] };
    node.columns.push(column);
  }
  column.tests.push(at);
}
