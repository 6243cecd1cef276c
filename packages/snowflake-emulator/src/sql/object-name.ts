import { SnowflakeEmulatorError } from '../emulator-error.js';
import { identifierOf, isOp, isWord, nextSignificant, quoteIdent, type SqlNode } from './syntax-tree.js';

/** A schema object's full name, each part as Snowflake resolved it (unquoted parts upper-cased). */
export interface QualifiedName {
  readonly database: string;
  readonly schema: string;
  readonly name: string;
}

/** The current database and schema a name is resolved against. */
export interface NameContext {
  readonly database: string | null;
  readonly schema: string | null;
}

/**
 * Read a dotted object name (`t`, `s.t`, `db.s.t`, `db..t`) starting at the first significant node at or
 * after `from`. Returns its parts and the index after it, or undefined when no identifier starts there.
 */
export function readObjectName(nodes: readonly SqlNode[], from: number): { parts: string[]; next: number } | undefined {
  let i = nextSignificant(nodes, from);
  if (i < 0) return undefined;
  if (isWord(nodes[i], 'IDENTIFIER')) throw SnowflakeEmulatorError.unsupported('IDENTIFIER()');
  const first = identifierOf(nodes[i]);
  if (first === undefined) return undefined;
  const parts = [first];
  i++;
  while (isOp(nodes[i], '.')) {
    if (isOp(nodes[i + 1], '.')) {
      // db..table means the PUBLIC schema
      const id = identifierOf(nodes[i + 2]);
      if (id === undefined) break;
      parts.push('PUBLIC', id);
      i += 3;
      continue;
    }
    const id = identifierOf(nodes[i + 1]);
    if (id === undefined) break;
    parts.push(id);
    i += 2;
  }
  if (parts.length > 3) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\ninvalid object name '${parts.join('.')}'.`,
    );
  }
  return { parts, next: i };
}

/**
 * Complete a 1–3 part name with the session's current database and schema, failing as Snowflake does when
 * the session has none (`090105` no current database, `090106` no current schema).
 */
export function resolveName(parts: readonly string[], context: NameContext, action: string): QualifiedName {
  const [a, b, c] = parts;
  if (parts.length === 3 && a !== undefined && b !== undefined && c !== undefined)
    return { database: a, schema: b, name: c };
  const database = context.database;
  if (database === null) {
    throw SnowflakeEmulatorError.sql(
      '090105',
      '22000',
      `Cannot perform ${action}. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.`,
    );
  }
  if (parts.length === 2 && a !== undefined && b !== undefined) return { database, schema: a, name: b };
  const schema = context.schema;
  if (schema === null) {
    throw SnowflakeEmulatorError.sql(
      '090106',
      '22000',
      `Cannot perform ${action}. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.`,
    );
  }
  if (a === undefined)
    throw SnowflakeEmulatorError.sql('001003', '42000', 'SQL compilation error:\nmissing object name.');
  return { database, schema, name: a };
}

/** Resolve a schema name (`s` or `db.s`). */
export function resolveSchemaName(
  parts: readonly string[],
  context: NameContext,
  action: string,
): { database: string; schema: string } {
  if (parts.length === 2) return { database: parts[0] as string, schema: parts[1] as string };
  if (parts.length !== 1)
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\ninvalid schema name '${parts.join('.')}'.`,
    );
  if (context.database === null) {
    throw SnowflakeEmulatorError.sql(
      '090105',
      '22000',
      `Cannot perform ${action}. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.`,
    );
  }
  return { database: context.database, schema: parts[0] as string };
}

/** `"DB"."SCHEMA"."NAME"` for DuckDB (a Snowflake database is a DuckDB catalog). */
export function duckName(name: QualifiedName): string {
  return `${quoteIdent(name.database)}.${quoteIdent(name.schema)}.${quoteIdent(name.name)}`;
}

/** `DB.SCHEMA.NAME` as Snowflake prints it in messages. */
export function displayName(name: QualifiedName): string {
  return `${name.database}.${name.schema}.${name.name}`;
}

/** Name parts as written, each quoted for DuckDB (`"DB"."S"."T"`); resolution is left to DuckDB. */
export function renderNameParts(parts: readonly string[]): string {
  return parts.map(quoteIdent).join('.');
}
