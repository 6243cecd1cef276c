import type { LogicalType } from '@sluice/warehouse';

/** What `pg_catalog` says about one column's type. */
export interface PgTypeInfo {
  /** `pg_type.typname` of the column's type (after resolving domains to their base type). */
  readonly typname: string;
  /** `pg_type.typtype`: `b` base, `e` enum, … */
  readonly typtype: string;
  /** `pg_attribute.atttypmod` (-1 when unconstrained). */
  readonly typmod: number;
  /** For arrays: the element type. */
  readonly element?: PgTypeInfo;
  /** For enums: the labels in order. */
  readonly enumLabels?: readonly string[];
}

/**
 * The logical type of a Postgres column type, or `undefined` when Sluice has no exact mapping for it
 * (the caller reports it; nothing is silently converted).
 *
 * @example logicalTypeOf({ typname: 'numeric', typtype: 'b', typmod: 655366 }) // { kind: 'decimal', precision: 10, scale: 2 }
 */
export function logicalTypeOf(info: PgTypeInfo): LogicalType | undefined {
  if (info.element) {
    const element = logicalTypeOf(info.element);
    return element && element.kind !== 'array' ? { kind: 'array', element } : undefined;
  }
  if (info.typtype === 'e') return { kind: 'enum', name: info.typname, values: info.enumLabels ?? [] };
  switch (info.typname) {
    case 'int2':
      return { kind: 'smallint' };
    case 'int4':
      return { kind: 'integer' };
    case 'int8':
      return { kind: 'bigint' };
    case 'numeric': {
      if (info.typmod < 4) return { kind: 'decimal' };
      const precision = ((info.typmod - 4) >> 16) & 0xffff;
      let scale = (info.typmod - 4) & 0xffff;
      if (scale > 0x7ff) scale -= 0x800; // Postgres 15+: 11-bit signed scale
      if (scale < 0 || scale > precision) return { kind: 'decimal' }; // odd scales: keep every digit, unconstrained
      return { kind: 'decimal', precision, scale };
    }
    case 'float4':
      return { kind: 'real' };
    case 'float8':
      return { kind: 'double' };
    case 'bool':
      return { kind: 'boolean' };
    case 'text':
    case 'name':
    case 'citext':
      return { kind: 'text' };
    case 'varchar':
      return info.typmod >= 4 ? { kind: 'text', maxLength: info.typmod - 4 } : { kind: 'text' };
    case 'bpchar':
      return { kind: 'char', length: info.typmod >= 4 ? info.typmod - 4 : 1 };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
      return { kind: 'timestamp' };
    case 'timestamptz':
      return { kind: 'timestamptz' };
    case 'time':
      return { kind: 'time' };
    case 'interval':
      return { kind: 'interval' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'json':
    case 'jsonb':
      return { kind: 'json' };
    case 'bytea':
      return { kind: 'bytes' };
    default:
      return undefined;
  }
}
