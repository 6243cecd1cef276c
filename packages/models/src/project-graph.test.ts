import { describe, expect, it } from 'vitest';
import { findCycles, topologicalOrder } from './project-graph.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds none in an acyclic graph, and the graph still orders', () => {
    const parents = graph({ a: [], b: ['a'], c: ['a', 'b'], d: ['c', 'missing'] });
    expect(findCycles([...parents.keys()], parents)).toEqual([]);
    expect(topologicalOrder([...parents.keys()], parents)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('finds a cycle among otherwise acyclic nodes, as a path in data-flow order', () => {
    const parents = graph({ a: [], b: ['a', 'd'], c: ['b'], d: ['c'] });
    expect(findCycles([...parents.keys()], parents)).toEqual([['b', 'c', 'd', 'b']]);
  });

  it('finds a node that depends on itself', () => {
    const parents = graph({ a: [], b: ['a', 'b'] });
    expect(findCycles([...parents.keys()], parents)).toEqual([['b', 'b']]);
  });

  it('follows edges outside the ids it starts from', () => {
    const parents = graph({ a: ['x'], x: ['y'], y: ['x'] });
    expect(findCycles(['a', 'a'], parents)).toEqual([['x', 'y', 'x']]);
  });
});
