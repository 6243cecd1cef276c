/**
 * Logical column types: what a column *is*, independent of any engine. Extractors describe source columns with
 * them; each warehouse maps them to its own type names (`dialect.typeName`) and back (`describeTable`).
 *
 * @example const price: LogicalType = { kind: 'decimal', precision: 10, scale: 2 };
 */
export type LogicalType =
  | { readonly kind: 'smallint' }
  | { readonly kind: 'integer' }
  | { readonly kind: 'bigint' }
  /** `precision` absent: Postgres's unconstrained `numeric` (any precision and scale). */
  | { readonly kind: 'decimal'; readonly precision?: number; readonly scale?: number }
  | { readonly kind: 'real' }
  | { readonly kind: 'double' }
  | { readonly kind: 'boolean' }
  /** `maxLength` absent: unbounded text. */
  | { readonly kind: 'text'; readonly maxLength?: number }
  /** Fixed-length, blank-padded (`char(n)`). */
  | { readonly kind: 'char'; readonly length: number }
  | { readonly kind: 'date' }
  /** Without time zone, microsecond precision. */
  | { readonly kind: 'timestamp' }
  /** An instant (with time zone), microsecond precision. */
  | { readonly kind: 'timestamptz' }
  | { readonly kind: 'time' }
  | { readonly kind: 'interval' }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'json' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'array'; readonly element: LogicalType }
  /** A Postgres enum: kept as its label text. */
  | { readonly kind: 'enum'; readonly name: string; readonly values: readonly string[] };

export type LogicalKind = LogicalType['kind'];

/** A readable name for a logical type, as used in error messages: `decimal(10,2)`, `text(255)`, `array<integer>`. */
export function formatLogicalType(type: LogicalType): string {
  switch (type.kind) {
    case 'decimal':
      return type.precision === undefined ? 'decimal' : `decimal(${type.precision},${type.scale ?? 0})`;
    case 'text':
      return type.maxLength === undefined ? 'text' : `text(${type.maxLength})`;
    case 'char':
      return `char(${type.length})`;
    case 'array':
      return `array<${formatLogicalType(type.element)}>`;
    case 'enum':
      return `enum ${type.name}`;
    default:
      return type.kind;
  }
}

/** How a column's type moved between two loads. */
export type TypeChange = 'same' | 'widen' | 'incompatible';

const INTEGER_RANK: Partial<Record<LogicalKind, number>> = { smallint: 1, integer: 2, bigint: 3 };
const FLOAT_RANK: Partial<Record<LogicalKind, number>> = { real: 1, double: 2 };

/**
 * Compare the type a warehouse column has (`from`) with the type the source now has (`to`).
 * `widen` means every value of `from` fits `to` exactly, so the warehouse column can be altered in place:
 * a longer varchar, int → bigint, more decimal precision with the same or larger scale, integer → decimal wide enough.
 *
 * @example compareLogicalTypes({ kind: 'integer' }, { kind: 'bigint' }) // 'widen'
 */
export function compareLogicalTypes(from: LogicalType, to: LogicalType): TypeChange {
  if (sameLogicalType(from, to)) return 'same';
  const fi = INTEGER_RANK[from.kind];
  const ti = INTEGER_RANK[to.kind];
  if (fi !== undefined && ti !== undefined) return ti > fi ? 'widen' : 'incompatible';
  const ff = FLOAT_RANK[from.kind];
  const tf = FLOAT_RANK[to.kind];
  if (ff !== undefined && tf !== undefined) return tf > ff ? 'widen' : 'incompatible';
  if (from.kind === 'decimal' && to.kind === 'decimal') {
    if (to.precision === undefined) return 'widen';
    if (from.precision === undefined) return 'incompatible';
    const fromScale = from.scale ?? 0;
    const toScale = to.scale ?? 0;
    const fromIntDigits = from.precision - fromScale;
    const toIntDigits = to.precision - toScale;
    return toScale >= fromScale && toIntDigits >= fromIntDigits ? 'widen' : 'incompatible';
  }
  if (fi !== undefined && to.kind === 'decimal') {
    const digits = { smallint: 5, integer: 10, bigint: 19 }[from.kind as 'smallint' | 'integer' | 'bigint'];
    if (to.precision === undefined) return 'widen';
    return to.precision - (to.scale ?? 0) >= digits ? 'widen' : 'incompatible';
  }
  if (from.kind === 'text' && to.kind === 'text') {
    if (to.maxLength === undefined) return 'widen';
    if (from.maxLength === undefined) return 'incompatible';
    return to.maxLength >= from.maxLength ? 'widen' : 'incompatible';
  }
  if ((from.kind === 'char' || from.kind === 'enum') && to.kind === 'text') return 'widen';
  if (from.kind === 'enum' && to.kind === 'enum') return 'widen';
  if (from.kind === 'json' && to.kind === 'json') return 'same';
  if (from.kind === 'array' && to.kind === 'array') return compareLogicalTypes(from.element, to.element);
  return 'incompatible';
}

/** Structural equality of two logical types. */
export function sameLogicalType(a: LogicalType, b: LogicalType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'decimal': {
      const o = b as typeof a;
      return a.precision === o.precision && (a.scale ?? 0) === (o.scale ?? 0);
    }
    case 'text':
      return a.maxLength === (b as typeof a).maxLength;
    case 'char':
      return a.length === (b as typeof a).length;
    case 'array':
      return sameLogicalType(a.element, (b as typeof a).element);
    case 'enum': {
      const o = b as typeof a;
      return a.name === o.name && a.values.length === o.values.length && a.values.every((v, i) => v === o.values[i]);
    }
    default:
      return true;
  }
}
