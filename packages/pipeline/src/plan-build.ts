/**
 * The change-aware build's decision, as a pure function: which nodes of a run must be built (or, for tests, run)
 * and which are `reused`, each with its reason. No I/O: the caller gives it the nodes (with their fingerprints),
 * what the build state in the warehouse remembers of each, the raw tables' change counters, and which relations
 * exist. `build-state.ts` reads and writes that state; `build-models.ts` applies the plan.
 */

/** One node of the plan: a seed, model (not ephemeral), snapshot or test the run would build or run. */
export interface PlanNode {
  readonly id: string;
  readonly kind: 'seed' | 'model' | 'snapshot' | 'test';
  /** A view: its contents follow its inputs, so it is rebuilt only when its definition or an input's shape changed. */
  readonly view: boolean;
  /** The nearest nodes it reads that are built (through ephemeral models); in dependency order of the project. */
  readonly parents: readonly string[];
  /** The raw tables Sluice loads that it reads, through any chain of nodes (`raw.vendas`). */
  readonly tables: readonly string[];
  /** What `state:modified` compares: raw SQL, config, the macros it calls, the vars it reads (a seed: its file). */
  readonly fingerprint: string;
  /**
   * Why its contents may change in any run, when they may: its SQL (or a view or ephemeral model it reads) calls a
   * non-deterministic function, or it reads a source Sluice does not load. Such a node is built every run (a view:
   * kept, but counted as changed, so what reads it is rebuilt).
   */
  readonly volatile?: string;
}

/** What the build state remembers of a node, from its last build (or test run) in this target. */
export interface NodeBuildState {
  readonly fingerprint: string;
  /** How it last ended: `success`, `error`, `skipped`, `cancelled`; tests: `pass`, `warn`, `fail`, … */
  readonly status: string;
  /** The run that last built it successfully: what its children compare (`parents`). */
  readonly builtBy?: string;
  /** The change counter of each raw table it reads, as of that build. */
  readonly tables: Readonly<Record<string, number>>;
  /** Each parent's `builtBy`, as of that build. */
  readonly parents: Readonly<Record<string, string>>;
  /** Tests: failing rows found. */
  readonly failures?: number;
}

export interface BuildPlanInput {
  /** The nodes of the run, parents before children. */
  readonly nodes: readonly PlanNode[];
  /** The build state of the target, by node id (missing: never built here, or a new/replaced warehouse). */
  readonly previous: ReadonlyMap<string, NodeBuildState>;
  /** Every raw table's change counter (bumped by each run that inserted, updated or deleted rows in it). */
  readonly tableChanges: ReadonlyMap<string, number>;
  /** Raw tables whose columns changed in this run (a view over them is re-created). */
  readonly reshapedTables?: ReadonlySet<string>;
  /** Nodes whose relation exists in the warehouse (tests have none; ignored for them). */
  readonly existing: ReadonlySet<string>;
  /** Build everything (`--all`, `--full-refresh`). */
  readonly all?: string;
  /** Nodes named explicitly by `--select`: built. */
  readonly explicit?: ReadonlySet<string>;
}

export type BuildDecision =
  | { readonly action: 'build'; readonly reason: string; readonly reshapes: boolean }
  | {
      readonly action: 'reuse';
      readonly reason: string;
      /** Its contents may have changed although it is not rebuilt (a view over a changed table): tests re-run. */
      readonly dataChanged: boolean;
      /** Tests: the last result, which stands. */
      readonly status?: string;
      readonly failures?: number;
    };

/** The decision for every node of the input, by id. */
export type BuildPlan = ReadonlyMap<string, BuildDecision>;

/** Test statuses that are a verdict on the data: a test that ended otherwise runs again. */
const VERDICTS = new Set(['pass', 'warn', 'fail']);

/**
 * Decide, node by node in dependency order, what must be built. A model, seed or snapshot is built when: everything
 * is asked for; it is named by `--select`; its contents may change in any run (`volatile`); it has no build state; it did not
 * succeed last time; its fingerprint changed; its relation is missing; a parent is built in this run, or was rebuilt
 * since it was; a raw table it reads changed since it was built. A view is spared the last two when only data
 * changed (its contents follow), unless an input changed shape. A test runs when it never ran, its SQL changed, its
 * last run was no verdict, or anything it reads was built or changed; otherwise its last result stands.
 *
 * @example planBuild({ nodes, previous, tableChanges, existing }).get('model.novadrive.fct_vendas')
 */
export function planBuild(input: BuildPlanInput): BuildPlan {
  const plan = new Map<string, BuildDecision>();
  const changedTables = (node: PlanNode, state: NodeBuildState): string[] =>
    node.tables.filter((table) => (input.tableChanges.get(table) ?? 0) !== (state.tables[table] ?? 0));
  for (const node of input.nodes) {
    const state = input.previous.get(node.id);
    const build = (reason: string, reshapes = true): void => {
      plan.set(node.id, { action: 'build', reason, reshapes });
    };
    if (input.all !== undefined) {
      build(input.all);
      continue;
    }
    if (input.explicit?.has(node.id)) {
      build('named by --select');
      continue;
    }
    if (node.volatile !== undefined && !node.view) {
      build(node.volatile);
      continue;
    }
    if (state === undefined) {
      build(node.kind === 'test' ? 'never run in this warehouse' : 'never built in this warehouse');
      continue;
    }
    if (state.fingerprint !== node.fingerprint) {
      build(
        node.kind === 'seed'
          ? 'its file or config changed'
          : node.kind === 'test'
            ? 'its SQL or config changed'
            : 'its SQL, config, macros or vars changed',
      );
      continue;
    }
    if (node.kind === 'test' ? !VERDICTS.has(state.status) : state.status !== 'success') {
      build(`it ended ${state.status} last time`);
      continue;
    }
    if (node.kind !== 'test' && !input.existing.has(node.id)) {
      build('its relation is missing in the warehouse');
      continue;
    }
    const parentDecisions = node.parents.map((id) => ({ id, decision: plan.get(id) }));
    const builtParent = parentDecisions.find((p) => p.decision?.action === 'build');
    const reshapedParent = parentDecisions.find((p) => p.decision?.action === 'build' && p.decision.reshapes);
    const rebuiltSince = node.parents.find((id) => {
      const now = input.previous.get(id)?.builtBy;
      return plan.get(id)?.action !== 'build' && now !== undefined && state.parents[id] !== now;
    });
    const tables = changedTables(node, state);
    const dataParent = parentDecisions.find((p) => p.decision?.action === 'reuse' && p.decision.dataChanged);
    const reshapedTable = tables.find((t) => input.reshapedTables?.has(t));
    if (node.view && node.kind === 'model') {
      if (reshapedParent) build(`upstream ${nameOf(reshapedParent.id)} was rebuilt and may have new columns`);
      else if (rebuiltSince) build(`upstream ${nameOf(rebuiltSince)} was rebuilt since`);
      else if (reshapedTable) build(`raw table ${reshapedTable} changed columns`, true);
      else {
        const dataChanged =
          builtParent !== undefined || dataParent !== undefined || tables.length > 0 || node.volatile !== undefined;
        plan.set(node.id, {
          action: 'reuse',
          reason: dataChanged ? 'a view: its inputs changed, its definition did not' : 'nothing it reads changed',
          dataChanged,
        });
      }
      continue;
    }
    if (builtParent) {
      build(
        `${node.kind === 'test' ? '' : 'upstream '}${nameOf(builtParent.id)} ${node.kind === 'test' ? 'was built' : 'was rebuilt'}`,
        reshapedParent !== undefined,
      );
      continue;
    }
    if (rebuiltSince) {
      build(`upstream ${nameOf(rebuiltSince)} was rebuilt since`, false);
      continue;
    }
    if (tables.length > 0) {
      build(`raw table ${tables.join(', ')} changed`, reshapedTable !== undefined);
      continue;
    }
    if (dataParent) {
      build(`the contents of ${nameOf(dataParent.id)} changed`, false);
      continue;
    }
    plan.set(node.id, {
      action: 'reuse',
      reason:
        node.kind === 'test' ? `nothing it reads changed; last result ${state.status}` : 'nothing it reads changed',
      dataChanged: false,
      ...(node.kind === 'test'
        ? { status: state.status, ...(state.failures === undefined ? {} : { failures: state.failures }) }
        : {}),
    });
  }
  return plan;
}

/** `model.novadrive.fct_vendas` → `fct_vendas` (a source: `novadrive.vendas`). */
function nameOf(id: string): string {
  const parts = id.split('.');
  return parts[0] === 'source' ? parts.slice(-2).join('.') : (parts[parts.length - 1] ?? id);
}
