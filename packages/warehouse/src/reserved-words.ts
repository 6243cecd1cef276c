/**
 * Words that cannot stand as a bare column or table name in SQL on at least one engine Sluice writes for: the
 * reserved keywords of PostgreSQL (the source), DuckDB (`duckdb_keywords()`: reserved, type/function and column-name
 * keywords) and Snowflake (its reserved and limited keywords). Lower case.
 */
const RESERVED_WORDS: ReadonlySet<string> = new Set(
  `account all alter analyse analyze and anti any array as asc asof asymmetric at authorization between bigint binary
   bit boolean both by case cast char character check coalesce collate collation column columns concurrently connect
   connection constraint create cross current current_catalog current_date current_role current_schema current_time
   current_timestamp current_user database dec decimal default deferrable delete desc describe distinct do drop else
   end except exists extract false fetch float following for foreign freeze from full generated glob grant group
   grouping grouping_id gscluster having ilike in increment initially inner inout insert int integer intersect
   interval into is isnull issue join lambda lateral leading left like limit localtime localtimestamp map minus
   national natural nchar none not notnull null nullif numeric of offset on only or order organization out outer
   overlaps overlay pivot pivot_longer pivot_wider placing position positional precision primary qualify real
   references regexp returning revoke right rlike row rows sample schema select semi session_user set setof show
   similar smallint some start struct substring summarize symmetric system_user table tablesample then time
   timestamp to trailing treat trigger trim true try_cast union unique unpack unpivot update user using values
   varchar variadic verbose view when whenever where window with`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Whether a name is a SQL keyword on some engine, so that a model must quote it (`order`, `user`, `select`).
 *
 * @example isReservedWord('Order') // true
 */
export function isReservedWord(name: string): boolean {
  return RESERVED_WORDS.has(name.toLowerCase());
}
