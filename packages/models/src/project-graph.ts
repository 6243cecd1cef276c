/**
 * Graph algorithms over a project's dependency map (id → ids it depends on). Iterative, so 10,000-node chains
 * do not overflow the stack.
 */

/** Every cycle (one per strongly connected component), each as a path whose first id is repeated at the end. */
export function findCycles(ids: readonly string[], parents: ReadonlyMap<string, readonly string[]>): string[][] {
  // Most projects have no cycle, and Kahn's order (linear, with little bookkeeping) proves it: when every node of the
  // graph gets a place and none depends on itself, there is nothing for Tarjan's search to find.
  // (Only when `ids` are exactly the graph's nodes, each once: otherwise the search may walk outside them.)
  const whole = new Set(ids).size === ids.length && ids.length === parents.size;
  const noSelfLoop = whole && ids.every((id) => parents.has(id) && !(parents.get(id) ?? []).includes(id));
  if (noSelfLoop && topologicalOrder(ids, parents).length === ids.length) return [];
  // Tarjan's strongly connected components, iteratively.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const start of ids) {
    if (index.has(start)) continue;
    const work: Array<{ id: string; next: number }> = [{ id: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const edges = parents.get(frame.id) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++] as string;
        if (!parents.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && (parents.get(frame.id) ?? []).includes(frame.id);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((component) => cyclePath(component, parents));
}

/** A path around the cycle inside one component, starting at its smallest id, in the order data flows
 *  (a → b means b reads a). */
function cyclePath(component: string[], parents: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0] as string;
  // Breadth-first search from start back to start along "depends on" edges, then reverse to data-flow order.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const parent of parents.get(id) ?? []) {
      if (!members.has(parent)) continue;
      if (parent === start) {
        const path = [start];
        for (let at: string | undefined = id; at !== undefined && at !== start; at = previous.get(at)) path.push(at);
        path.push(start);
        return path;
      }
      if (!previous.has(parent)) {
        previous.set(parent, id);
        queue.push(parent);
      }
    }
  }
  return [start, start];
}

/** Ids in dependency order (parents first), stable: ties keep the order of `ids`. Nodes in cycles are left out. */
export function topologicalOrder(ids: readonly string[], parents: ReadonlyMap<string, readonly string[]>): string[] {
  const wanted = new Set(ids);
  const remaining = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const id of ids) {
    let count = 0;
    for (const parent of parents.get(id) ?? []) {
      if (!wanted.has(parent) || parent === id) continue;
      count++;
      let list = children.get(parent);
      if (!list) children.set(parent, (list = []));
      list.push(id);
    }
    remaining.set(id, count);
  }
  const order: string[] = [];
  const ready = ids.filter((id) => remaining.get(id) === 0);
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i] as string;
    order.push(id);
    for (const child of children.get(id) ?? []) {
      const left = (remaining.get(child) as number) - 1;
      remaining.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return order;
}

/** The ids reachable from `start` along `edges` (not including `start`), up to `depth` steps (default: all). */
export function reachable(
  start: Iterable<string>,
  edges: ReadonlyMap<string, readonly string[]>,
  depth = Number.POSITIVE_INFINITY,
): Set<string> {
  const seen = new Set<string>();
  let frontier = [...start];
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const to of edges.get(id) ?? []) {
        if (seen.has(to)) continue;
        seen.add(to);
        next.push(to);
      }
    }
    frontier = next;
  }
  return seen;
}
