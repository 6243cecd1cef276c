import type { Relation, SqlDialect } from '@sluice/warehouse';
import { ProjectCompiler, type TargetConfig } from './compile-project.js';
import type { Project } from './project.js';
import type { StateManifest, StateRelation } from './state-manifest.js';

export interface DeferInput {
  readonly project: Project;
  readonly state: StateManifest;
  /** The nodes this invocation builds or tests: their refs are never deferred. */
  readonly running: ReadonlySet<string>;
  /** This target and its dialect: where each node lives here. */
  readonly target: TargetConfig;
  readonly dialect: SqlDialect;
  /** Whether a relation exists in this target's warehouse. */
  readonly exists: (relation: Relation) => Promise<boolean>;
  /** `--favor-state`: defer even when this target has the relation. */
  readonly favorState?: boolean;
}

/** The nodes `running` reads through `ref()`, directly or inside ephemeral models, that do not run themselves. */
function referencedOutside(project: Project, running: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const queue = [...running];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const parent of project.parents.get(id) ?? []) {
      const node = project.nodes.get(parent);
      if (node === undefined || running.has(parent) || node.kind === 'source' || node.kind === 'test') continue;
      // An ephemeral model is compiled inline: its own refs are what is read.
      if (node.kind === 'model' && node.materialized === 'ephemeral') queue.push(parent);
      else out.add(parent);
    }
  }
  return out;
}

/**
 * dbt's `--defer`: each node the run reads but does not build resolves to the relation the state manifest records
 * for it when this target lacks that relation (always, with `--favor-state`). Nodes the state does not know, or
 * records without a relation, keep this target's. Asks the warehouse only about the nodes actually read.
 *
 * @example compileOptions.deferred = await deferredRelations({ project, state, running, target, dialect, exists })
 */
export async function deferredRelations(input: DeferInput): Promise<Map<string, StateRelation>> {
  const deferred = new Map<string, StateRelation>();
  const compiler = new ProjectCompiler(input.project, { target: input.target, dialect: input.dialect });
  for (const id of referencedOutside(input.project, input.running)) {
    const recorded = input.state.nodes.get(id)?.relation;
    const node = input.project.nodes.get(id);
    if (recorded === undefined || node === undefined) continue;
    const own = compiler.relationOf(node);
    if (!input.favorState && own !== undefined && (await input.exists(own))) continue;
    deferred.set(id, recorded);
  }
  return deferred;
}
