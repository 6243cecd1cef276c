import type { Materialization, MaterializationInput, MaterializationPlan } from '../materialization.js';
import { ModelsError } from '../models-error.js';
import type { ModelNode, SnapshotNode } from '../project.js';
import { incrementalMaterialization } from './incremental-materialization.js';
import { snapshotMaterialization } from './snapshot-materialization.js';
import { tableMaterialization } from './table-materialization.js';
import { viewMaterialization } from './view-materialization.js';

/**
 * Every way a model is built, by its `materialized` name. A new materialization is one file and one line here
 * (plus its golden cases); `ephemeral` is not built at all (it is inlined as a CTE by the compiler).
 */
const MODEL_MATERIALIZATIONS = {
  view: viewMaterialization,
  table: tableMaterialization,
  incremental: incrementalMaterialization,
} as const satisfies Record<string, Materialization<ModelNode>>;

/** A `materialized` value that builds something. */
export type MaterializationName = keyof typeof MODEL_MATERIALIZATIONS;

/** The valid `materialized` values, in the order messages list them. */
export const MATERIALIZED_NAMES: readonly (MaterializationName | 'ephemeral')[] = [
  ...(Object.keys(MODEL_MATERIALIZATIONS) as MaterializationName[]),
  'ephemeral',
];

/** The planner that builds `node`. Throws INVALID_MATERIALIZATION for ephemeral models (never built). */
export function materializationOf(node: ModelNode): Materialization<ModelNode>;
export function materializationOf(node: SnapshotNode): Materialization<SnapshotNode>;
export function materializationOf(
  node: ModelNode | SnapshotNode,
): Materialization<ModelNode> | Materialization<SnapshotNode>;
export function materializationOf(
  node: ModelNode | SnapshotNode,
): Materialization<ModelNode> | Materialization<SnapshotNode> {
  if (node.kind === 'snapshot') return snapshotMaterialization;
  if (node.materialized !== 'ephemeral' && Object.hasOwn(MODEL_MATERIALIZATIONS, node.materialized)) {
    return MODEL_MATERIALIZATIONS[node.materialized];
  }
  throw new ModelsError(
    'INVALID_MATERIALIZATION',
    node.materialized === 'ephemeral'
      ? `${node.name} is ephemeral: it is inlined into the models that read it.`
      : `${node.name}: there is no materialization ${String(node.materialized)}.`,
    { node: node.id },
  );
}

/** The plan that builds `node`: its materialization's planner, started on `input`. */
export function planMaterialization(
  node: ModelNode | SnapshotNode,
  input: Omit<MaterializationInput<ModelNode | SnapshotNode>, 'node'>,
): MaterializationPlan {
  return node.kind === 'model'
    ? materializationOf(node).plan({ ...input, node })
    : materializationOf(node).plan({ ...input, node });
}
