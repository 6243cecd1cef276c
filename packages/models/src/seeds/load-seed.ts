import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { applyPlan } from '../apply-plan.js';
import { statementTag, type MaterializeContext, type MaterializeOutcome } from '../materialize.js';
import type { SeedNode } from '../project.js';
import { planSeed } from './seed-plan.js';
import { readSeedTable } from './seed-table.js';

/**
 * Load one seed into the warehouse: read its CSV (from `projectDir`), type its columns as dbt does, and apply the
 * seed plan (`planSeed`). Throws `ModelsError` (`INVALID_SEED`, `SCHEMA_CHANGED`) or the warehouse's error.
 */
export async function loadSeed(
  ctx: MaterializeContext,
  node: SeedNode,
  projectDir: string,
): Promise<MaterializeOutcome> {
  const text = await readFile(path.join(projectDir, node.file), 'utf8');
  const table = readSeedTable(text, {
    file: node.file,
    ...(node.config.delimiter === undefined ? {} : { delimiter: node.config.delimiter }),
    ...(node.config.column_types === undefined ? {} : { columnTypes: node.config.column_types }),
  });
  const plan = planSeed({
    node,
    table,
    dialect: ctx.warehouse.dialect,
    compiled: ctx.compile(false),
    fullRefresh: ctx.fullRefresh,
  });
  return applyPlan(plan, ctx.warehouse, {
    tag: statementTag(ctx, node.id, node.config.query_tag),
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(node.config.snowflake_warehouse === undefined ? {} : { compute: node.config.snowflake_warehouse }),
  });
}
