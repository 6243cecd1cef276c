import type { LogicalType } from './logical-type.js';
import type { Column } from './table-schema.js';

/**
 * Engines lose part of a logical type (DuckDB keeps no VARCHAR length, CHAR, enum or primary key; Snowflake keeps one
 * NUMBER for every integer size and one VARCHAR for many kinds), so each column's logical type and the table's key are
 * recorded in the engine's column and table comments, written by the DDL that creates or changes them:
 *
 * - column: `sluice:{"type":{"kind":"text","maxLength":255},"nullable":false}`
 * - table:  `sluice:{"primaryKey":["id_vendas"]}`
 *
 * A comment is shared with people and governance tools: Sluice's record goes AFTER whatever text is there, on a line
 * of its own (`Customer e-mail (PII)\nsluice:{…}`), and writing it again keeps that text. Only the record after the
 * last `sluice:` is Sluice's; the rest is never changed. The comment is the one place the record is kept: reading
 * it needs no warehouse (SHOW COLUMNS), so a run that changes nothing resumes none.
 */
const PREFIX = 'sluice:';

/** What Sluice records about a column. */
export interface ColumnMetadata {
  readonly type: LogicalType;
  readonly nullable: boolean;
}

/** The comment recorded on a column: `existing`'s own text (a person's, a governance tool's) kept, Sluice's record after it. */
export function columnComment(column: Column, existing?: string | null): string {
  return withRecord(existing, JSON.stringify({ type: column.type, nullable: column.nullable }));
}

/** The comment recorded on a table, `existing`'s own text kept. */
export function tableComment(primaryKey: readonly string[], existing?: string | null): string {
  return withRecord(existing, JSON.stringify({ primaryKey }));
}

/** The recorded column metadata, or undefined when the comment holds no record of Sluice's (or a damaged one). */
export function parseColumnComment(comment: string | null | undefined): ColumnMetadata | undefined {
  const value = parse(comment);
  if (!isRecord(value) || !isLogicalType(value.type)) return undefined;
  return { type: value.type, nullable: value.nullable !== false };
}

/** The recorded primary key, or undefined when the comment holds no record of Sluice's. */
export function parseTableComment(
  comment: string | null | undefined,
): { readonly primaryKey: readonly string[] } | undefined {
  const value = parse(comment);
  if (!isRecord(value) || !Array.isArray(value.primaryKey) || !value.primaryKey.every((k) => typeof k === 'string')) {
    return undefined;
  }
  return { primaryKey: value.primaryKey as string[] };
}

/**
 * The text of a comment that is not Sluice's record: what people and tools wrote, which Sluice keeps.
 *
 * @example commentText('PII\nsluice:{"primaryKey":["id"]}') // 'PII'
 */
export function commentText(comment: string | null | undefined): string {
  if (!comment) return '';
  const found = recordAt(comment);
  return (found === undefined ? comment : comment.slice(0, found.index)).replace(/\s+$/, '');
}

function withRecord(existing: string | null | undefined, record: string): string {
  const text = commentText(existing);
  return text === '' ? `${PREFIX}${record}` : `${text}\n${PREFIX}${record}`;
}

/** Sluice's record in a comment: after the last `sluice:` (at the start or after a line break), when it parses. */
function recordAt(comment: string): { readonly index: number; readonly value: unknown } | undefined {
  for (let index = comment.lastIndexOf(PREFIX); index >= 0; index = comment.lastIndexOf(PREFIX, index - 1)) {
    if (index > 0 && comment[index - 1] !== '\n') continue;
    try {
      return { index, value: JSON.parse(comment.slice(index + PREFIX.length)) as unknown };
    } catch {
      // not a record: part of the text
    }
    if (index === 0) break;
  }
  return undefined;
}

function parse(comment: string | null | undefined): unknown {
  return comment ? recordAt(comment)?.value : undefined;
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
