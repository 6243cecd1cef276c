import { closestNames } from '@sluice/warehouse';
import { reachable, topologicalOrder } from './project-graph.js';
import { didYouMean, type ProjectIssue } from './project-issue.js';
import type { NodeKind, Project, ProjectNode } from './project.js';
import type { StateComparison } from './state-changes.js';

/** Options of `selectNodes`: dbt's `--select` / `--exclude`. */
export interface SelectOptions {
  /**
   * Selectors; each string may hold several separated by spaces (union); commas inside one selector intersect.
   * Default: every node. Syntax: `name`, `stg_*`, `+name`, `name+`, `2+name`, `name+1`, `@name`, `tag:x`,
   * `path:models/stage`, `source:novadrive` / `source:novadrive.vendas`, `resource_type:snapshot`,
   * `config.materialized:incremental`, `test_type:singular`, `test_name:not_null`, `fqn:novadrive.stage` (or
   * `stage`: the package part may be left out, as in dbt), `package:novadrive`, `state:new`, `state:modified`
   * (`.body`, `.configs`, `.macros`), `state:old`, `state:unmodified` (with `state`).
   */
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  /**
   * dbt's eager indirect selection (default true): a test is selected when any node it tests is selected, and
   * excluded when any node it tests is excluded.
   */
  readonly indirectTests?: boolean;
  /** `--state DIR` compared with the project (`compareState`): what the `state:` selectors read. */
  readonly state?: StateComparison;
}

/** The selected nodes in dependency order, and what was wrong with the selectors. */
export interface Selection {
  readonly nodes: readonly ProjectNode[];
  /** Errors (bad syntax, unknown method) and warnings (a selector that matched nothing, with close names). */
  readonly issues: readonly ProjectIssue[];
}

const METHODS = [
  'tag',
  'path',
  'source',
  'resource_type',
  'config',
  'test_type',
  'test_name',
  'fqn',
  'file',
  'package',
  'state',
];

/** The `state:` values Sluice selects by; dbt's others are named as unsupported. */
const STATE_VALUES = ['new', 'old', 'modified', 'unmodified', 'modified.body', 'modified.configs', 'modified.macros'];
const UNSUPPORTED_STATE = ['modified.contract', 'modified.relation', 'modified.persisted_descriptions'];

/** Why a `state:` selector cannot be evaluated (no `--state`, an unknown or unsupported value), or undefined. */
function stateProblem(value: string, state: StateComparison | undefined): string | undefined {
  if (UNSUPPORTED_STATE.includes(value))
    return `"state:${value}" is not supported by Sluice (it selects by ${STATE_VALUES.map((v) => `state:${v}`).join(', ')}).`;
  if (!STATE_VALUES.includes(value))
    return `"state:${value}" is not a state selector (write ${STATE_VALUES.map((v) => `state:${v}`).join(', ')}).${didYouMean(closestNames(value, STATE_VALUES))}`;
  if (state === undefined)
    return `"state:${value}" compares with an earlier run: add --state DIR (a folder holding that run's manifest.json).`;
  return undefined;
}

/** dbt's `state:` methods on one node. */
function matchesState(node: ProjectNode, value: string, state: StateComparison): boolean {
  const changes = state.changes.get(node.id) ?? [];
  const isNew = changes.includes('new');
  switch (value) {
    case 'new':
      return isNew;
    case 'old':
      return !isNew;
    case 'modified':
      return changes.length > 0;
    case 'unmodified':
      return changes.length === 0;
    default:
      return changes.includes(value.slice('modified.'.length) as 'body');
  }
}

function glob(pattern: string): (value: string) => boolean {
  if (!/[*?[]/.test(pattern)) return (value) => value === pattern;
  const source = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`);
  return (value) => re.test(value);
}

/**
 * dbt's fqn rule (`QualifiedNameSelectorMethod`): the leaf name, or a dotted prefix of the fully qualified name —
 * with or without its first part, the package: `staging` and `jaffle_shop.staging` both select the models of
 * `models/staging/`, `jaffle_shop` selects the whole package. Parts may use globs; a `*` part matches the rest.
 */
function matchesFqn(node: ProjectNode, selector: string): boolean {
  if (glob(selector)(node.name)) return true;
  const parts = selector.split('.');
  const fqn = node.fqn.flatMap((p) => p.split('.'));
  return prefixMatches(fqn, parts) || prefixMatches(fqn.slice(1), parts);
}

function prefixMatches(fqn: readonly string[], parts: readonly string[]): boolean {
  if (fqn.length === 0 || fqn.length < parts.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '*') return true;
    if (!glob(part)(fqn[i] as string)) return false;
  }
  return true;
}

interface ParsedSelector {
  readonly method: string;
  readonly value: string;
  readonly parents: number;
  readonly children: number;
  readonly at: boolean;
}

function parseSelector(text: string): ParsedSelector | string {
  const match = /^(@)?(?:(\d*)\+)?([^+@]+?)(?:\+(\d*))?$/.exec(text);
  if (!match)
    return `"${text}" is not a selector (write name, +name, name+, 2+name, @name, tag:x, path:dir, source:s.t).`;
  const [, at, up, body, down] = match;
  if (at !== undefined && (up !== undefined || down !== undefined)) return `"${text}": @ cannot be combined with +.`;
  const colon = (body as string).indexOf(':');
  let method = 'fqn';
  let value = body as string;
  if (colon !== -1) {
    method = value.slice(0, colon);
    value = value.slice(colon + 1);
  } else if (value.includes('/') || value.endsWith('.sql')) {
    method = 'path';
  }
  const base = method.split('.')[0] as string;
  if (!METHODS.includes(base))
    return `"${method}:" is not a selector method.${didYouMean(closestNames(base, METHODS))}`;
  if (value === '') return `"${text}": the selector has no value after "${method}:".`;
  return {
    method,
    value,
    parents: up === undefined ? 0 : up === '' ? Number.POSITIVE_INFINITY : Number(up),
    children: down === undefined ? 0 : down === '' ? Number.POSITIVE_INFINITY : Number(down),
    at: at !== undefined,
  };
}

function matchMethod(project: Project, selector: ParsedSelector, state?: StateComparison): Set<string> {
  const out = new Set<string>();
  const { method, value } = selector;
  const match = glob(value);
  const normalizedPath = value.replace(/\/+$/, '');
  for (const node of project.nodes.values()) {
    let hit = false;
    switch (method.split('.')[0]) {
      case 'fqn':
        // dbt looks for names among parsed nodes: a source is selected with `source:`.
        hit = node.kind !== 'source' && matchesFqn(node, value);
        break;
      case 'tag':
        hit = node.tags.some(match);
        break;
      case 'path':
        hit = node.file === normalizedPath || node.file.startsWith(`${normalizedPath}/`) || match(node.file);
        break;
      case 'file':
        hit =
          match(node.file.split('/').at(-1) as string) ||
          match((node.file.split('/').at(-1) as string).replace(/\.sql$/, ''));
        break;
      case 'source':
        hit = node.kind === 'source' && (match(node.sourceName) || match(`${node.sourceName}.${node.name}`));
        break;
      case 'resource_type':
        // dbt's `unit_test` resource type; `test` means data tests.
        hit =
          value === 'unit_test'
            ? node.kind === 'test' && node.testType === 'unit'
            : node.kind === (value as NodeKind) && !(node.kind === 'test' && node.testType === 'unit');
        break;
      case 'package':
        hit = match(node.fqn[0] ?? '');
        break;
      case 'test_type':
        hit = node.kind === 'test' && node.testType === value;
        break;
      case 'test_name':
        hit = node.kind === 'test' && (node.testName === undefined ? match(node.name) : match(node.testName));
        break;
      case 'state':
        hit = state !== undefined && matchesState(node, value, state);
        break;
      case 'config': {
        const key = method.slice('config.'.length);
        const config = 'config' in node ? (node.config as Record<string, unknown>) : {};
        const actual = config[key];
        hit = Array.isArray(actual)
          ? actual.some((v) => match(String(v)))
          : actual !== undefined && match(String(actual));
        break;
      }
    }
    if (hit) out.add(node.id);
  }
  return out;
}

function expand(project: Project, selector: ParsedSelector, seeds: Set<string>): Set<string> {
  const out = new Set(seeds);
  if (selector.at) {
    const down = reachable(seeds, project.children);
    for (const id of down) out.add(id);
    for (const id of reachable(new Set([...seeds, ...down]), project.parents)) out.add(id);
    return out;
  }
  if (selector.parents > 0) for (const id of reachable(seeds, project.parents, selector.parents)) out.add(id);
  if (selector.children > 0) for (const id of reachable(seeds, project.children, selector.children)) out.add(id);
  return out;
}

function evaluate(
  project: Project,
  expressions: readonly string[],
  issues: ProjectIssue[],
  state: StateComparison | undefined,
): Set<string> {
  const union = new Set<string>();
  for (const expression of expressions) {
    for (const term of expression.split(/\s+/).filter((t) => t !== '')) {
      let intersection: Set<string> | undefined;
      for (const atom of term.split(',').filter((a) => a !== '')) {
        const parsed = parseSelector(atom);
        const problem =
          typeof parsed === 'string'
            ? parsed
            : parsed.method === 'state'
              ? stateProblem(parsed.value, state)
              : undefined;
        if (typeof parsed === 'string' || problem !== undefined) {
          issues.push({ code: 'INVALID_VALUE', severity: 'error', message: problem ?? '' });
          intersection = new Set();
          continue;
        }
        const seeds = matchMethod(project, parsed, state);
        if (seeds.size === 0) {
          const names = [...project.nodes.values()].map((n) => n.name);
          const suggestions = parsed.method === 'fqn' ? closestNames(parsed.value, names) : [];
          issues.push({
            code: 'UNKNOWN_NODE',
            severity: 'warning',
            message: `the selector "${atom}" matches nothing.${didYouMean(suggestions)}`,
            suggestions,
          });
        }
        const selected = expand(project, parsed, seeds);
        intersection =
          intersection === undefined ? selected : new Set([...intersection].filter((id) => selected.has(id)));
      }
      for (const id of intersection ?? []) union.add(id);
    }
  }
  return union;
}

/**
 * Select nodes with dbt's selector syntax. Pure. The nodes come back in dependency order (sources included when
 * selected; `runProject` skips them).
 *
 * @example selectNodes(project, { select: ['+fct_vendas', 'tag:daily,path:models/analysis'], exclude: ['stg_clientes'] })
 */
export function selectNodes(project: Project, options: SelectOptions = {}): Selection {
  const issues: ProjectIssue[] = [];
  const indirect = options.indirectTests ?? true;
  const all = [...project.nodes.keys()];
  let selected =
    options.select === undefined || options.select.every((s) => s.trim() === '')
      ? new Set(all.filter((id) => project.nodes.get(id)?.kind !== 'source'))
      : evaluate(project, options.select, issues, options.state);
  const excluded =
    options.exclude === undefined ? new Set<string>() : evaluate(project, options.exclude, issues, options.state);
  if (indirect) {
    const tests = [...project.nodes.values()].filter((n) => n.kind === 'test');
    for (const test of tests) if (test.dependsOn.some((p) => selected.has(p))) selected.add(test.id);
    for (const test of tests) if (test.dependsOn.some((p) => excluded.has(p))) excluded.add(test.id);
  }
  selected = new Set([...selected].filter((id) => !excluded.has(id)));
  // Order the whole graph, then keep the selected: dependencies through unselected nodes still order them.
  const order = topologicalOrder(all, project.parents).filter((id) => selected.has(id));
  // Nodes in a cycle have no order; keep them at the end so listing still shows them.
  const inOrder = new Set(order);
  for (const id of all) if (selected.has(id) && !inOrder.has(id)) order.push(id);
  return { nodes: order.map((id) => project.nodes.get(id) as ProjectNode), issues };
}
