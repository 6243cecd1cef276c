import type { LogicalType } from './logical-type.js';
import type { Column } from './table-schema.js';

/**
 * Engines lose part of a logical type (DuckDB keeps no VARCHAR length, CHAR, enum or primary key; Snowflake keeps one
 * NUMBER for every integer size and one VARCHAR for many kinds), so each column's logical type and the table's key are
 * recorded in the engine's column and table comments, written by the DDL that creates or changes them:
 *
 * - column: `sluice:{"type":{"kind":"text","maxLength":255},"nullable":false}`
 * - table:  `sluice:{"primaryKey":["id_vendas"]}`
 */
const PREFIX = 'sluice:';

/** What Sluice records about a column. */
export interface ColumnMetadata {
  readonly type: LogicalType;
  readonly nullable: boolean;
}

/** The comment recorded on a column. */
export function columnComment(column: Column): string {
  return PREFIX + JSON.stringify({ type: column.type, nullable: column.nullable });
}

/** The comment recorded on a table. */
export function tableComment(primaryKey: readonly string[]): string {
  return PREFIX + JSON.stringify({ primaryKey });
}

/** The recorded column metadata, or undefined when the comment is not Sluice's (or is damaged). */
export function parseColumnComment(comment: string | null | undefined): ColumnMetadata | undefined {
  const value = parse(comment);
  if (!isRecord(value) || !isLogicalType(value.type)) return undefined;
  return { type: value.type, nullable: value.nullable !== false };
}

/** The recorded primary key, or undefined when the comment is not Sluice's. */
export function parseTableComment(
  comment: string | null | undefined,
): { readonly primaryKey: readonly string[] } | undefined {
  const value = parse(comment);
  if (!isRecord(value) || !Array.isArray(value.primaryKey) || !value.primaryKey.every((k) => typeof k === 'string')) {
    return undefined;
  }
  return { primaryKey: value.primaryKey as string[] };
}

function parse(comment: string | null | undefined): unknown {
  if (!comment?.startsWith(PREFIX)) return undefined;
  try {
    return JSON.parse(comment.slice(PREFIX.length)) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SIMPLE_KINDS = new Set([
  'smallint',
  'integer',
  'bigint',
  'real',
  'double',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
  'time',
  'interval',
  'uuid',
  'json',
  'bytes',
]);

function isLogicalType(value: unknown): value is LogicalType {
  if (!isRecord(value) || typeof value.kind !== 'string') return false;
  const optionalNumber = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isInteger(v));
  switch (value.kind) {
    case 'decimal':
      return optionalNumber(value.precision) && optionalNumber(value.scale);
    case 'text':
      return optionalNumber(value.maxLength);
    case 'char':
      return typeof value.length === 'number';
    case 'array':
      return isLogicalType(value.element);
    case 'enum':
      return (
        typeof value.name === 'string' &&
        Array.isArray(value.values) &&
        value.values.every((v) => typeof v === 'string')
      );
    default:
      return SIMPLE_KINDS.has(value.kind);
  }
}
