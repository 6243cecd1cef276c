import { quoteString } from './syntax-tree.js';

/** Prefix of the DuckDB column comment that keeps a column's declared Snowflake type. */
export const DECLARED_TYPE_PREFIX = 'sluice_sf_type:';
/** Prefix of the DuckDB table comment that keeps a table's Snowflake kind (TRANSIENT, TEMPORARY). */
export const TABLE_KIND_PREFIX = 'sluice_sf_kind:';

/** DuckDB schemas that are not Snowflake schemas. */
export const HIDDEN_SCHEMAS = ['main', 'information_schema', 'pg_catalog'];

/**
 * SQL (DuckDB) of a macro mapping a DuckDB column type plus its comment to the Snowflake type name Snowflake
 * would show (`NUMBER(10,2)`, `VARCHAR(255)`, `TIMESTAMP_TZ(9)`, …).
 */
export const SF_TYPE_OF_MACRO = `CREATE OR REPLACE TEMP MACRO SF_TYPE_OF(data_type, cmt) AS CASE
  WHEN cmt LIKE '${DECLARED_TYPE_PREFIX}%' THEN substr(cmt, ${DECLARED_TYPE_PREFIX.length + 1})
  WHEN data_type LIKE 'DECIMAL(%' THEN 'NUMBER' || substr(data_type, 8)
  WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT') THEN 'NUMBER(38,0)'
  WHEN data_type IN ('DOUBLE','FLOAT') THEN 'FLOAT'
  WHEN data_type = 'VARCHAR' THEN 'VARCHAR(16777216)'
  WHEN data_type = 'JSON' THEN 'VARIANT'
  WHEN data_type = 'BLOB' THEN 'BINARY(8388608)'
  WHEN data_type = 'TIME' THEN 'TIME(9)'
  WHEN data_type = 'TIMESTAMP' THEN 'TIMESTAMP_NTZ(9)'
  WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ(9)'
  WHEN data_type LIKE '%[]' THEN 'ARRAY'
  WHEN data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%' THEN 'OBJECT'
  ELSE data_type END`;

const hidden = HIDDEN_SCHEMAS.map(quoteString).join(', ');

/** The INFORMATION_SCHEMA views of one database, as DuckDB subqueries with Snowflake's column names. */
export function informationSchemaViews(database: string): Record<string, string> {
  const db = quoteString(database);
  return {
    COLUMNS: `SELECT database_name AS "TABLE_CATALOG", schema_name AS "TABLE_SCHEMA", table_name AS "TABLE_NAME",
  column_name AS "COLUMN_NAME", CAST(column_index AS BIGINT) AS "ORDINAL_POSITION", column_default AS "COLUMN_DEFAULT",
  CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END AS "IS_NULLABLE",
  CASE sf_base WHEN 'VARCHAR' THEN 'TEXT' ELSE sf_base END AS "DATA_TYPE",
  CASE WHEN sf_base = 'VARCHAR' THEN sf_p END AS "CHARACTER_MAXIMUM_LENGTH",
  CASE WHEN sf_base = 'VARCHAR' THEN least(sf_p * 4, 16777216) END AS "CHARACTER_OCTET_LENGTH",
  CASE WHEN sf_base = 'NUMBER' THEN sf_p WHEN sf_base = 'FLOAT' THEN 53 END AS "NUMERIC_PRECISION",
  CASE WHEN sf_base = 'NUMBER' THEN 10 WHEN sf_base = 'FLOAT' THEN 2 END AS "NUMERIC_PRECISION_RADIX",
  CASE WHEN sf_base = 'NUMBER' THEN sf_s END AS "NUMERIC_SCALE",
  CASE WHEN sf_base IN ('TIME', 'TIMESTAMP_NTZ', 'TIMESTAMP_LTZ', 'TIMESTAMP_TZ') THEN sf_p END AS "DATETIME_PRECISION",
  CAST(NULL AS VARCHAR) AS "COMMENT"
FROM (SELECT *, SF_TYPE_OF(data_type, comment) AS sf_type, regexp_extract(sf_type, '^[A-Z_]+') AS sf_base,
    CAST(NULLIF(regexp_extract(sf_type, '\\((\\d+)', 1), '') AS BIGINT) AS sf_p,
    CAST(NULLIF(regexp_extract(sf_type, ',(\\d+)\\)', 1), '') AS BIGINT) AS sf_s
  FROM duckdb_columns() WHERE database_name = ${db} AND schema_name NOT IN (${hidden}))`,
    TABLES: `SELECT database_name AS "TABLE_CATALOG", schema_name AS "TABLE_SCHEMA", table_name AS "TABLE_NAME",
  'SYSADMIN' AS "TABLE_OWNER",
  CASE WHEN comment = '${TABLE_KIND_PREFIX}TEMPORARY' THEN 'TEMPORARY TABLE' ELSE 'BASE TABLE' END AS "TABLE_TYPE",
  CASE WHEN comment = '${TABLE_KIND_PREFIX}TRANSIENT' OR comment = '${TABLE_KIND_PREFIX}TEMPORARY' THEN 'YES' ELSE 'NO' END AS "IS_TRANSIENT",
  CAST(NULL AS VARCHAR) AS "CLUSTERING_KEY", CAST(estimated_size AS BIGINT) AS "ROW_COUNT", CAST(NULL AS BIGINT) AS "BYTES",
  CAST(1 AS BIGINT) AS "RETENTION_TIME", CAST(NULL AS TIMESTAMPTZ) AS "CREATED", CAST(NULL AS TIMESTAMPTZ) AS "LAST_ALTERED",
  CAST(NULL AS VARCHAR) AS "COMMENT"
FROM duckdb_tables() WHERE database_name = ${db} AND schema_name NOT IN (${hidden})
UNION ALL
SELECT database_name, schema_name, view_name, 'SYSADMIN', 'VIEW', 'NO', NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM duckdb_views() WHERE NOT internal AND database_name = ${db} AND schema_name NOT IN (${hidden})`,
    SCHEMATA: `SELECT database_name AS "CATALOG_NAME", schema_name AS "SCHEMA_NAME", 'SYSADMIN' AS "SCHEMA_OWNER",
  'NO' AS "IS_TRANSIENT", 'NO' AS "IS_MANAGED_ACCESS", CAST(1 AS BIGINT) AS "RETENTION_TIME",
  CAST(NULL AS TIMESTAMPTZ) AS "CREATED", CAST(NULL AS TIMESTAMPTZ) AS "LAST_ALTERED", CAST(NULL AS VARCHAR) AS "COMMENT"
FROM duckdb_schemas() WHERE database_name = ${db} AND schema_name NOT IN (${hidden})
UNION ALL SELECT ${db}, 'INFORMATION_SCHEMA', 'SYSADMIN', 'NO', 'NO', 1, NULL, NULL, 'Views describing the contents of schemas in this database'`,
    VIEWS: `SELECT database_name AS "TABLE_CATALOG", schema_name AS "TABLE_SCHEMA", view_name AS "TABLE_NAME",
  'SYSADMIN' AS "TABLE_OWNER", sql AS "VIEW_DEFINITION", 'NONE' AS "CHECK_OPTION", 'NO' AS "IS_UPDATABLE",
  'NO' AS "INSERTABLE_INTO", 'NO' AS "IS_SECURE", CAST(NULL AS VARCHAR) AS "COMMENT"
FROM duckdb_views() WHERE NOT internal AND database_name = ${db} AND schema_name NOT IN (${hidden})`,
  };
}
