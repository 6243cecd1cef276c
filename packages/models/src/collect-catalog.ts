import type { Warehouse } from '@sluice/warehouse';
import { formatLogicalType } from '@sluice/warehouse';
import { ProjectCompiler, type TargetConfig } from './compile-project.js';
import type { Project } from './project.js';

/** The columns each built node has in the warehouse, by node id (dbt's catalog.json, in short). */
export type Catalog = Readonly<Record<string, readonly { readonly name: string; readonly type: string }[]>>;

/**
 * Read the columns of every model, snapshot and source that exists in the warehouse (one `describeTable` each),
 * for the lineage page. Nodes not built yet are left out; nothing else is queried.
 */
export async function collectCatalog(project: Project, warehouse: Warehouse, target: TargetConfig): Promise<Catalog> {
  const compiler = new ProjectCompiler(project, { target, dialect: warehouse.dialect });
  const catalog: Record<string, { name: string; type: string }[]> = {};
  for (const node of project.nodes.values()) {
    if (node.kind === 'test') continue;
    let relation;
    try {
      relation = compiler.relationOf(node);
    } catch {
      continue;
    }
    if (relation === undefined) continue;
    const table = await warehouse.describeTable(relation).catch(() => undefined);
    if (table) catalog[node.id] = table.columns.map((c) => ({ name: c.name, type: formatLogicalType(c.type) }));
  }
  return catalog;
}
