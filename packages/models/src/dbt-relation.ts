import type { Relation, RelationColumn, SqlDialect } from '@sluice/warehouse';
import { callArguments } from './call-arguments.js';
import { MAPPING } from './jinja/jinja-builtins.js';
import { pyStr, truthy } from './jinja/python-values.js';

/** What a relation's text is made of: `"schema"."name"` in the engine's quoting, or a CTE's bare name. */
type Quoting = Pick<SqlDialect, 'quoteIdentifier' | 'qualify'>;

/** The parts `include()` keeps. */
interface Included {
  readonly database: boolean;
  readonly schema: boolean;
  readonly identifier: boolean;
}

/**
 * A relation as templates see it (dbt's `Relation`): `{{ this }}` renders the quoted name; `.schema`,
 * `.identifier`, `.name`, `.type`, `.is_table`, `render()`, `include(schema=false)`, `incorporate(path=…)` work as
 * in dbt, and it is a mapping whose `metadata.type` ends in `Relation` (what dbt_utils checks).
 */
export class RelationValue {
  readonly [MAPPING] = true;
  private readonly included: Included;

  constructor(
    readonly schema: string,
    readonly identifier: string,
    private readonly sql: string,
    private readonly options: {
      readonly quoting?: Quoting;
      readonly type?: 'table' | 'view' | 'cte' | null;
      readonly database?: string;
      readonly included?: Included;
    } = {},
  ) {
    this.included = options.included ?? { database: true, schema: true, identifier: true };
  }

  /** A relation in the engine's quoting. */
  static of(
    relation: Relation,
    quoting: Quoting,
    options: { type?: 'table' | 'view' | null; database?: string } = {},
  ): RelationValue {
    return new RelationValue(relation.schema, relation.name, quoting.qualify(relation), { quoting, ...options });
  }

  get name(): string {
    return this.identifier;
  }
  get database(): string | null {
    return this.options.database ?? null;
  }
  get type(): string | null {
    return this.options.type ?? null;
  }
  get is_table(): boolean {
    return this.options.type === 'table';
  }
  get is_view(): boolean {
    return this.options.type === 'view';
  }
  get is_cte(): boolean {
    return this.options.type === 'cte';
  }
  get is_materialized_view(): boolean {
    return false;
  }
  /** `relation.get('metadata')` as dbt's relations answer it (they are mappings). */
  get metadata(): Record<string, string> {
    return { type: 'SluiceRelation' };
  }
  get path(): Record<string, string | null> {
    return { database: this.database, schema: this.schema, identifier: this.identifier };
  }
  get(key: unknown, fallback: unknown = null): unknown {
    const k = pyStr(key);
    if (k === 'metadata') return this.metadata;
    if (k === 'path') return this.path;
    if (k === 'type') return this.type;
    return fallback;
  }

  render(): string {
    const { quoting } = this.options;
    if (quoting === undefined || this.options.type === 'cte') return this.sql;
    const { schema, identifier } = this.included;
    if (schema && identifier) return this.sql;
    if (identifier) return quoting.quoteIdentifier(this.identifier);
    if (schema) return quoting.quoteIdentifier(this.schema);
    return '';
  }

  /** `relation.include(database=false, schema=false)`: render only some of the parts. */
  include(...args: unknown[]): RelationValue {
    const { keywords } = callArguments(args);
    const flag = (name: keyof Included): boolean =>
      keywords[name] === undefined ? this.included[name] : truthy(keywords[name]);
    return new RelationValue(this.schema, this.identifier, this.sql, {
      ...this.options,
      included: { database: flag('database'), schema: flag('schema'), identifier: flag('identifier') },
    });
  }

  /** `relation.incorporate(path={'identifier': …}, type='table')`. */
  incorporate(...args: unknown[]): RelationValue {
    const { keywords } = callArguments(args);
    const path = (keywords.path ?? {}) as Record<string, unknown>;
    const schema = path.schema === undefined ? this.schema : pyStr(path.schema);
    const identifier = path.identifier === undefined ? this.identifier : pyStr(path.identifier);
    const type = keywords.type === undefined ? this.options.type : (pyStr(keywords.type) as 'table' | 'view');
    const quoting = this.options.quoting;
    if (quoting === undefined) return this;
    return new RelationValue(schema, identifier, quoting.qualify({ schema, name: identifier }), {
      ...this.options,
      type: type ?? null,
    });
  }

  quote(): RelationValue {
    return this;
  }

  __eq__(other: unknown): boolean {
    return other instanceof RelationValue && other.render() === this.render();
  }

  toString(): string {
    return this.render();
  }
}

/**
 * A column as `adapter.get_columns_in_relation` returns it (dbt's `Column`): `.name`, `.column`, `.quoted`,
 * `.data_type`, `.dtype`, `is_string()`, `is_number()`, `string_size()`…
 */
export class ColumnValue {
  constructor(
    private readonly column_: RelationColumn,
    private readonly quoting: Pick<SqlDialect, 'quoteIdentifier'>,
  ) {}
  get name(): string {
    return this.column_.name;
  }
  get column(): string {
    return this.column_.name;
  }
  get quoted(): string {
    return this.quoting.quoteIdentifier(this.column_.name);
  }
  get data_type(): string {
    return this.column_.dataType;
  }
  get dtype(): string {
    return this.column_.dataType;
  }
  get char_size(): number | null {
    const t = this.column_.type;
    return t.kind === 'text' ? (t.maxLength ?? null) : t.kind === 'char' ? t.length : null;
  }
  get numeric_precision(): number | null {
    return this.column_.type.kind === 'decimal' ? (this.column_.type.precision ?? null) : null;
  }
  get numeric_scale(): number | null {
    return this.column_.type.kind === 'decimal' ? (this.column_.type.scale ?? null) : null;
  }
  is_string(): boolean {
    return ['text', 'char', 'uuid', 'enum'].includes(this.column_.type.kind);
  }
  is_number(): boolean {
    return this.is_integer() || this.is_float() || this.is_numeric();
  }
  is_integer(): boolean {
    return ['smallint', 'integer', 'bigint'].includes(this.column_.type.kind);
  }
  is_float(): boolean {
    return ['real', 'double'].includes(this.column_.type.kind);
  }
  is_numeric(): boolean {
    return this.column_.type.kind === 'decimal';
  }
  /** The declared length of a string column; an unbounded one counts as the longest. */
  string_size(): number {
    if (!this.is_string()) throw new Error(`Called string_size() on non-string field ${this.name}.`);
    return this.char_size ?? 16_777_216;
  }
  can_expand_to(other: ColumnValue): boolean {
    return this.is_string() && other.is_string() && this.string_size() < other.string_size();
  }
  toString(): string {
    return `<Column ${this.name} (${this.data_type})>`;
  }
}
