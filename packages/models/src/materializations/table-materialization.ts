import type { Relation } from '@sluice/warehouse';
import { applyGrants, buildRelation, tableOptionsOf, type Materialization } from '../materialization.js';
import type { ModelNode } from '../project.js';

/**
 * `table`: `CREATE OR REPLACE TABLE … AS`, atomic (a view of that name is dropped first); transient, clustered and
 * keeping its grants as the config says (`tableOptionsOf`), then `grants` applied.
 */
export const tableMaterialization: Materialization<ModelNode> = {
  name: 'table',
  *plan({ node, dialect, compile }) {
    const compiled = compile(false);
    yield* buildRelation(dialect, 'table', compiled, tableOptionsOf(node.config, 'model'));
    const warnings = yield* applyGrants(dialect, node, compiled.relation as Relation, 'table');
    return { compiled, message: 'table created', ...(warnings.length > 0 ? { warnings } : {}) };
  },
};
