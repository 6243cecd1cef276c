-- begin
BEGIN TRANSACTION;

-- stage
CREATE TEMP TABLE "__sluice_stage" AS
SELECT "id_vendas",
  "id_clientes",
  CASE WHEN "valor_pago" IS NULL THEN NULL WHEN "valor_pago" IN ('NaN', 'Infinity', '-Infinity') THEN error('SLUICE_UNREPRESENTABLE_VALUE ' || CAST(to_json({'table': 'raw.vendas', 'column': 'valor_pago', 'type': 'DECIMAL(10,2)', 'reason': 'DuckDB decimals hold no NaN or Infinity', 'value': "valor_pago", 'file': "__sluice_file"}) AS VARCHAR)) ELSE CAST("valor_pago" AS DECIMAL(10,2)) END AS "valor_pago",
  CASE WHEN "taxa" IS NULL THEN NULL WHEN "taxa" IN ('NaN', 'Infinity', '-Infinity') OR NOT regexp_full_match("taxa", '-?(0|[1-9][0-9]{0,19})(\.[0-9]{0,18}0*)?') THEN error('SLUICE_UNREPRESENTABLE_VALUE ' || CAST(to_json({'table': 'raw.vendas', 'column': 'taxa', 'type': 'DECIMAL(38,18)', 'reason': 'DuckDB decimals hold no NaN or Infinity, and this column keeps 20 integer and 18 fraction digits', 'value': "taxa", 'file': "__sluice_file"}) AS VARCHAR)) ELSE CAST("taxa" AS DECIMAL(38,18)) END AS "taxa",
  "data_venda",
  "data_atualizacao",
  from_hex("recibo") AS "recibo",
  CASE WHEN strpos(substr("parcelas", 2), '[') > 0 THEN error('raw.vendas column "parcelas": multi-dimensional arrays are not supported: ' || "parcelas") ELSE list_transform(list_transform(regexp_extract_all("parcelas", '"[^"]*"|[^\s\[\],]+'), lambda t0: CASE WHEN t0 = 'null' THEN NULL ELSE trim(t0, '"') END), lambda e0: CASE WHEN e0 IS NULL THEN NULL WHEN e0 IN ('NaN', 'Infinity', '-Infinity') THEN error('SLUICE_UNREPRESENTABLE_VALUE ' || CAST(to_json({'table': 'raw.vendas', 'column': 'parcelas', 'type': 'DECIMAL(12,2)', 'reason': 'DuckDB decimals hold no NaN or Infinity', 'value': e0, 'file': "__sluice_file"}) AS VARCHAR)) ELSE CAST(e0 AS DECIMAL(12,2)) END) END AS "parcelas",
  json_extract_string("etiquetas", '$[*]') AS "etiquetas"
FROM read_csv(['/data/chunks/vendas-000.csv', '/data/chunks/vendas-001.csv'],
  columns = {'id_vendas': 'INTEGER', 'id_clientes': 'INTEGER', 'valor_pago': 'VARCHAR', 'taxa': 'VARCHAR', 'data_venda': 'TIMESTAMP', 'data_atualizacao': 'TIMESTAMP', 'recibo': 'VARCHAR', 'parcelas': 'VARCHAR', 'etiquetas': 'VARCHAR'},
  header = false, new_line = '\n', delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, comment = '', skip = 0, encoding = 'utf-8', decimal_separator = '.', auto_detect = false, strict_mode = true, null_padding = false, ignore_errors = false, store_rejects = false, hive_partitioning = false, union_by_name = false, compression = 'none',
  max_line_size = 16777216, buffer_size = 33554432,
  filename = '__sluice_file');

-- batch
CREATE TEMP TABLE "__sluice_batch" AS
SELECT * FROM "__sluice_stage"
QUALIFY row_number() OVER (PARTITION BY "id_vendas" ORDER BY "data_atualizacao" DESC NULLS LAST, rowid DESC) = 1;

-- keep
CREATE TEMP TABLE "__sluice_kept" AS
SELECT DISTINCT ON ("target"."id_vendas") "target"."id_vendas", "target"."legado"
FROM "raw"."vendas" AS "target"
WHERE EXISTS (SELECT 1 FROM "__sluice_batch" AS "batch" WHERE "batch"."id_vendas" = "target"."id_vendas");

-- match
CREATE TEMP TABLE "__sluice_matched" AS
SELECT "batch"."id_vendas", ("batch"."id_clientes" IS DISTINCT FROM "target"."id_clientes"
   OR "batch"."valor_pago" IS DISTINCT FROM "target"."valor_pago"
   OR "batch"."taxa" IS DISTINCT FROM "target"."taxa"
   OR "batch"."data_venda" IS DISTINCT FROM "target"."data_venda"
   OR "batch"."data_atualizacao" IS DISTINCT FROM "target"."data_atualizacao"
   OR "batch"."recibo" IS DISTINCT FROM "target"."recibo"
   OR CAST(CAST("batch"."parcelas" AS DECIMAL(12,2)[]) AS VARCHAR) IS DISTINCT FROM CAST("target"."parcelas" AS VARCHAR)
   OR CAST(CAST("batch"."etiquetas" AS VARCHAR[]) AS VARCHAR) IS DISTINCT FROM CAST("target"."etiquetas" AS VARCHAR)
   OR "target"."_sluice_deleted_at" IS NOT NULL) AS "__sluice_changed"
FROM "__sluice_batch" AS "batch"
JOIN "raw"."vendas" AS "target" ON "batch"."id_vendas" = "target"."id_vendas";

-- changed
CREATE TEMP TABLE "__sluice_changed_keys" AS
SELECT "id_vendas" FROM "__sluice_matched" WHERE "__sluice_changed";

-- delete-matched
DELETE FROM "raw"."vendas" AS "target"
USING "__sluice_changed_keys" AS "changed"
WHERE "changed"."id_vendas" = "target"."id_vendas";

-- insert
INSERT INTO "raw"."vendas" ("id_vendas", "id_clientes", "valor_pago", "taxa", "data_venda", "data_atualizacao", "recibo", "parcelas", "etiquetas", "legado", "_sluice_synced_at")
SELECT "batch"."id_vendas", "batch"."id_clientes", "batch"."valor_pago", "batch"."taxa", "batch"."data_venda", "batch"."data_atualizacao", "batch"."recibo", "batch"."parcelas", "batch"."etiquetas", "kept"."legado", now()
FROM "__sluice_batch" AS "batch"
LEFT JOIN "__sluice_kept" AS "kept" ON "kept"."id_vendas" = "batch"."id_vendas"
WHERE NOT EXISTS (SELECT 1 FROM "__sluice_matched" AS "matched" WHERE NOT "matched"."__sluice_changed" AND "matched"."id_vendas" = "batch"."id_vendas");

-- delete-keys
UPDATE "raw"."vendas" AS "target" SET "_sluice_deleted_at" = now()
WHERE "target"."_sluice_deleted_at" IS NULL AND EXISTS (
  SELECT 1 FROM (
SELECT "id_vendas"
FROM read_csv(['/data/chunks/vendas-deleted-000.csv'],
  columns = {'id_vendas': 'INTEGER'},
  header = false, new_line = '\n', delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, comment = '', skip = 0, encoding = 'utf-8', decimal_separator = '.', auto_detect = false, strict_mode = true, null_padding = false, ignore_errors = false, store_rejects = false, hive_partitioning = false, union_by_name = false, compression = 'none',
  max_line_size = 16777216, buffer_size = 33554432,
  filename = '__sluice_file')
  ) AS "deleted"
  WHERE "deleted"."id_vendas" = "target"."id_vendas"
);

-- commit
COMMIT;
