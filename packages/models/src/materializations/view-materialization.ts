import { buildRelation, type Materialization } from '../materialization.js';
import type { ModelNode } from '../project.js';

/** `view`: `CREATE OR REPLACE VIEW` (a table of that name is dropped first). */
export const viewMaterialization: Materialization<ModelNode> = {
  name: 'view',
  *plan({ dialect, compile }) {
    const compiled = compile(false);
    yield* buildRelation(dialect, 'view', compiled);
    return { compiled, message: 'view created' };
  },
};
