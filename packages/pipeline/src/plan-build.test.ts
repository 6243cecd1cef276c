import { describe, expect, it } from 'vitest';
import { planBuild, type BuildPlanInput, type NodeBuildState, type PlanNode } from './plan-build.js';

const stg: PlanNode = {
  id: 'model.p.stg',
  kind: 'model',
  view: true,
  parents: [],
  tables: ['raw.vendas'],
  fingerprint: 'a',
};
const fct: PlanNode = {
  id: 'model.p.fct',
  kind: 'model',
  view: false,
  parents: ['model.p.stg'],
  tables: ['raw.vendas'],
  fingerprint: 'b',
};
const dim: PlanNode = {
  id: 'model.p.dim',
  kind: 'model',
  view: false,
  parents: [],
  tables: ['raw.clientes'],
  fingerprint: 'c',
};
const test: PlanNode = {
  id: 'test.p.unique_fct',
  kind: 'test',
  view: false,
  parents: ['model.p.fct'],
  tables: ['raw.vendas'],
  fingerprint: 't',
};
const NODES = [stg, fct, dim, test];

function built(node: PlanNode, extra: Partial<NodeBuildState> = {}): NodeBuildState {
  return {
    fingerprint: node.fingerprint,
    status: node.kind === 'test' ? 'pass' : 'success',
    ...(node.kind === 'test' ? {} : { builtBy: 'run-1' }),
    tables: Object.fromEntries(node.tables.map((t) => [t, 1])),
    parents: Object.fromEntries(node.parents.map((p) => [p, 'run-1'])),
    ...extra,
  };
}

function input(overrides: Partial<BuildPlanInput> = {}): BuildPlanInput {
  return {
    nodes: NODES,
    previous: new Map(NODES.map((n) => [n.id, built(n)])),
    tableChanges: new Map([
      ['raw.vendas', 1],
      ['raw.clientes', 1],
    ]),
    existing: new Set([stg.id, fct.id, dim.id]),
    ...overrides,
  };
}

const actions = (plan: ReturnType<typeof planBuild>) =>
  Object.fromEntries([...plan].map(([id, d]) => [id.split('.').pop(), d.action]));

describe('planBuild', () => {
  it('reuses everything when nothing changed, a test with its last result', () => {
    const plan = planBuild(
      input({
        previous: new Map(
          [...input().previous].map(([id, s]) => [id, id === test.id ? { ...s, status: 'fail', failures: 3 } : s]),
        ),
      }),
    );
    expect(actions(plan)).toEqual({ stg: 'reuse', fct: 'reuse', dim: 'reuse', unique_fct: 'reuse' });
    expect(plan.get(test.id)).toMatchObject({ status: 'fail', failures: 3 });
  });

  it('a changed raw table rebuilds the tables reading it (through a view, which is kept) and reruns their tests', () => {
    const plan = planBuild(
      input({
        tableChanges: new Map([
          ['raw.vendas', 2],
          ['raw.clientes', 1],
        ]),
      }),
    );
    expect(actions(plan)).toEqual({ stg: 'reuse', fct: 'build', dim: 'reuse', unique_fct: 'build' });
    expect(plan.get(stg.id)).toMatchObject({ dataChanged: true });
    expect(plan.get(fct.id)?.reason).toMatch(/raw table raw.vendas changed|stg/);
  });

  it('a raw table whose columns changed re-creates the view over it', () => {
    const plan = planBuild(
      input({ tableChanges: new Map([['raw.vendas', 2]]), reshapedTables: new Set(['raw.vendas']) }),
    );
    expect(plan.get(stg.id)).toMatchObject({ action: 'build', reason: 'raw table raw.vendas changed columns' });
  });

  it('an edited view is rebuilt, and so is what reads it', () => {
    const plan = planBuild(input({ nodes: [{ ...stg, fingerprint: 'a2' }, fct, dim, test] }));
    expect(actions(plan)).toEqual({ stg: 'build', fct: 'build', dim: 'reuse', unique_fct: 'build' });
    expect(plan.get(stg.id)?.reason).toBe('its SQL, config, macros or vars changed');
  });

  it('rebuilds what failed or was skipped last time, and a relation dropped by hand', () => {
    const previous = new Map(input().previous);
    previous.set(fct.id, built(fct, { status: 'skipped' }));
    const plan = planBuild(input({ previous, existing: new Set([stg.id, fct.id]) }));
    expect(plan.get(fct.id)).toMatchObject({ action: 'build', reason: 'it ended skipped last time' });
    expect(plan.get(dim.id)).toMatchObject({ action: 'build', reason: 'its relation is missing in the warehouse' });
  });

  it('a parent rebuilt in an earlier run (this node not selected then) rebuilds it now', () => {
    const previous = new Map(input().previous);
    previous.set(stg.id, built(stg, { builtBy: 'run-2' }));
    expect(planBuild(input({ previous })).get(fct.id)).toMatchObject({
      action: 'build',
      reason: 'upstream stg was rebuilt since',
    });
  });

  it('a replaced warehouse (no build state) builds everything; volatile nodes always; --all and --select names too', () => {
    expect(new Set(Object.values(actions(planBuild(input({ previous: new Map() })))))).toEqual(new Set(['build']));
    const volatile = planBuild(input({ nodes: [stg, fct, { ...dim, volatile: 'its SQL calls now' }, test] }));
    expect(volatile.get(dim.id)).toMatchObject({ action: 'build', reason: 'its SQL calls now' });
    expect(new Set(Object.values(actions(planBuild(input({ all: '--all' })))))).toEqual(new Set(['build']));
    const named = planBuild(input({ explicit: new Set([dim.id]) }));
    expect(actions(named)).toEqual({ stg: 'reuse', fct: 'reuse', dim: 'build', unique_fct: 'reuse' });
  });

  it('a test whose last run was no verdict runs again', () => {
    const previous = new Map(input().previous);
    previous.set(test.id, built(test, { status: 'error' }));
    expect(planBuild(input({ previous })).get(test.id)).toMatchObject({ action: 'build' });
  });
});
