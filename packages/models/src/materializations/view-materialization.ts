import type { Relation } from '@sluice/warehouse';
import { applyGrants, buildRelation, type Materialization } from '../materialization.js';
import type { ModelNode } from '../project.js';

/** `view`: `CREATE OR REPLACE VIEW` (a table of that name is dropped first), keeping its grants unless `copy_grants: false`. */
export const viewMaterialization: Materialization<ModelNode> = {
  name: 'view',
  *plan({ node, dialect, compile }) {
    const compiled = compile(false);
    const copyGrants = node.config.copy_grants;
    yield* buildRelation(dialect, 'view', compiled, copyGrants === undefined ? {} : { copyGrants });
    const warnings = yield* applyGrants(dialect, node, compiled.relation as Relation, 'view');
    return { compiled, message: 'view created', ...(warnings.length > 0 ? { warnings } : {}) };
  },
};
