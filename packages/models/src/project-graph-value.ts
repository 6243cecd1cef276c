import type { Relation, SqlDialect } from '@sluice/warehouse';
import type { Project, ProjectNode } from './project.js';

/**
 * dbt's `graph` context variable: the project's nodes (`graph.nodes`, keyed by unique id: models, snapshots,
 * tests) and sources (`graph.sources`), each with the fields dbt packages read — `resource_type`, `name`,
 * `package_name`, `config`, `depends_on.nodes`, `columns`, `relation_name`, `test_metadata` for generic tests, and
 * dbt's defaults for what Sluice does not model (`access`, `group`, `version`, `contract`, a column's `quote`).
 */
export function projectGraph(
  project: Project,
  relationOf: (node: ProjectNode) => Relation | undefined,
  dialect: SqlDialect,
): Record<string, Record<string, unknown>> {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  for (const node of project.nodes.values()) {
    const packageName = node.id.split('.')[1] ?? project.name;
    let relation: Relation | undefined;
    try {
      relation = relationOf(node);
    } catch {
      relation = undefined;
    }
    const columns =
      'columns' in node
        ? Object.fromEntries(
            node.columns.map((c) => [
              c.name,
              {
                name: c.name,
                description: c.description,
                data_type: c.dataType ?? null,
                meta: {},
                tags: [],
                constraints: [],
                quote: null,
                granularity: null,
              },
            ]),
          )
        : {};
    const base = {
      unique_id: node.id,
      name: node.name,
      resource_type: node.kind,
      package_name: packageName,
      path: node.file,
      original_file_path: node.file,
      fqn: [...node.fqn],
      description: node.description,
      tags: [...node.tags],
      columns,
      database: null,
      schema: relation?.schema ?? null,
      relation_name: relation === undefined ? null : dialect.qualify(relation),
      meta: {},
    };
    if (node.kind === 'source') {
      sources[node.id] = {
        ...base,
        source_name: node.sourceName,
        identifier: node.identifier,
        loaded_at_field: node.loadedAtField ?? null,
        config: { enabled: true },
      };
      continue;
    }
    const extra: Record<string, unknown> = {
      alias: relation?.name ?? node.name,
      config: { ...node.config, ...(node.kind === 'model' ? { materialized: node.materialized } : {}) },
      depends_on: { nodes: [...node.dependsOn], macros: [] },
      raw_code: 'rawSql' in node ? (node.rawSql ?? '') : '',
      language: 'sql',
      // What dbt's nodes carry and Sluice does not model (groups, versions, contracts): dbt's defaults.
      ...(node.kind === 'model'
        ? {
            access: 'protected',
            group: null,
            version: null,
            latest_version: null,
            deprecation_date: null,
            contract: { enforced: false, alias_types: true, checksum: null },
            constraints: [],
          }
        : {}),
    };
    if (node.kind === 'test' && node.testType === 'generic') {
      extra.test_metadata = {
        name: node.testName ?? '',
        namespace: node.testPackage ?? null,
        kwargs: { ...node.args, ...(node.columnName === undefined ? {} : { column_name: node.columnName }) },
      };
      extra.column_name = node.columnName ?? null;
      extra.attached_node = node.attachedTo ?? null;
    }
    nodes[node.id] = { ...base, ...extra };
  }
  return { nodes, sources, exposures: {}, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {} };
}
