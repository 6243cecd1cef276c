import type { ExecutionContext } from '../execution-context.js';
import { DEFAULT_CSV_FORMAT } from '../sql/file-format.js';
import { displayName, resolveName, type QualifiedName } from '../sql/object-name.js';
import { rowType } from '../sql/snowflake-types.js';
import { StatementTypeId, type PlanOf } from '../sql/statement-plan.js';
import { quoteString } from '../sql/syntax-tree.js';
import type { StatementOutcome } from '../statement-outcome.js';
import { doesNotExist } from './catalog-errors.js';

const textRows = (names: readonly string[], rows: (string | null)[][]): StatementOutcome => ({
  type: 'rows',
  columns: names.map((n) => rowType(n, 'text')),
  rows,
  statementTypeId: StatementTypeId.SCL,
});

/** DESCRIBE TABLE | VIEW | STAGE. */
export async function describeObject(plan: PlanOf<'describe'>, context: ExecutionContext): Promise<StatementOutcome> {
  const name = resolveName(plan.name, context.session, 'DESCRIBE');
  return plan.objectType === 'STAGE' ? describeStage(name, context) : describeRelation(plan.objectType, name, context);
}

/** A stage's file format options, one row each. */
function describeStage(name: QualifiedName, { services }: ExecutionContext): StatementOutcome {
  const stage = services.metadata.stages.get(name);
  if (!stage) throw doesNotExist('Stage', displayName(name), '02000');
  const format = stage.fileFormat ?? DEFAULT_CSV_FORMAT;
  const rows = Object.entries(format).map(([k, v]) => [
    'STAGE_FILE_FORMAT',
    k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(),
    'String',
    JSON.stringify(v),
    '',
  ]);
  return textRows(['parent_property', 'property', 'property_type', 'property_value', 'property_default'], rows);
}

/** A table's or view's columns: Snowflake type, nullability, default, comment. */
async function describeRelation(
  objectType: 'TABLE' | 'VIEW',
  name: QualifiedName,
  context: ExecutionContext,
): Promise<StatementOutcome> {
  const found = await context.readAll(
    `SELECT column_name, SF_TYPE_OF(data_type, comment), is_nullable, column_default FROM duckdb_columns() WHERE database_name = ${quoteString(name.database)} AND schema_name = ${quoteString(name.schema)} AND table_name = ${quoteString(name.name)} ORDER BY column_index`,
  );
  if (found.length === 0) throw doesNotExist(objectType === 'VIEW' ? 'View' : 'Table', displayName(name), '42S02');
  const rows = found.map(([c, type, nullable, def]) => [
    String(c),
    String(type),
    'COLUMN',
    nullable === true ? 'Y' : 'N',
    def === null ? null : String(def),
    'N',
    'N',
    null,
    null,
    context.services.metadata.columnComment(name.database, name.schema, name.name, String(c)) ?? null,
    null,
    null,
  ]);
  const columns = ['name', 'type', 'kind', 'null?', 'default', 'primary key', 'unique key', 'check', 'expression'];
  return textRows([...columns, 'comment', 'policy name', 'privacy domain'], rows);
}
