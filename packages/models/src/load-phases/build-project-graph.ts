import { findCycles } from '../project-graph.js';
import type { ProjectNode } from '../project.js';
import type { LoadContext } from './load-context.js';

/** The nodes with their dependencies, and the graph both ways. */
export interface ProjectGraph {
  readonly nodes: Map<string, ProjectNode>;
  readonly parents: Map<string, readonly string[]>;
  readonly children: Map<string, string[]>;
}

/**
 * Phase 10: the graph — each node gets the dependencies resolved for it (sources have none), parents and children
 * are indexed, and every cycle is a CYCLE error with its path.
 */
export function buildProjectGraph(
  ctx: LoadContext,
  ordered: readonly ProjectNode[],
  dependencies: ReadonlyMap<string, readonly string[]>,
): ProjectGraph {
  const nodes = new Map<string, ProjectNode>();
  for (const node of ordered) {
    const deps = node.kind === 'source' ? [] : (dependencies.get(node.id) ?? []);
    nodes.set(node.id, { ...node, dependsOn: deps } as ProjectNode);
  }
  const parents = new Map<string, readonly string[]>();
  const children = new Map<string, string[]>();
  for (const node of nodes.values()) {
    parents.set(node.id, node.dependsOn);
    children.set(node.id, []);
  }
  for (const node of nodes.values()) for (const parent of node.dependsOn) children.get(parent)?.push(node.id);
  for (const cycle of findCycles([...nodes.keys()], parents)) {
    const names = cycle.map((id) => nodes.get(id)?.name ?? id);
    const first = nodes.get(cycle[0] as string);
    ctx.issues.push({
      code: 'CYCLE',
      severity: 'error',
      message: `these models depend on each other in a circle: ${names.join(' → ')}. Remove one of the refs.`,
      ...(first ? { file: first.file, ...(first.line === undefined ? {} : { line: first.line }) } : {}),
      cycle: names,
    });
  }
  return { nodes, parents, children };
}
