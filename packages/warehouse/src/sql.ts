/**
 * Quote an identifier the ANSI way, doubling embedded quotes: `quoteIdentifier('a"b')` → `"a""b"`.
 * Engines whose identifiers fold case (Snowflake) quote exactly the same way; the name keeps its case.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal with embedded quotes doubled: `quoteLiteral("it's")` → `'it''s'`. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `"schema"."name"`. */
export function qualifiedName(relation: { readonly schema: string; readonly name: string }): string {
  return `${quoteIdentifier(relation.schema)}.${quoteIdentifier(relation.name)}`;
}
