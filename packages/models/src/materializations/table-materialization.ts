import { buildRelation, type Materialization } from '../materialization.js';
import type { ModelNode } from '../project.js';

/** `table`: `CREATE OR REPLACE TABLE … AS`, atomic (a view of that name is dropped first). */
export const tableMaterialization: Materialization<ModelNode> = {
  name: 'table',
  *plan({ dialect, compile }) {
    const compiled = compile(false);
    yield* buildRelation(dialect, 'table', compiled);
    return { compiled, message: 'table created' };
  },
};
