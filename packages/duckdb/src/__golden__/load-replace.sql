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
FROM read_csv(['/data/chunks/vendas-000.csv'],
  columns = {'id_vendas': 'INTEGER', 'id_clientes': 'INTEGER', 'valor_pago': 'VARCHAR', 'taxa': 'VARCHAR', 'data_venda': 'TIMESTAMP', 'data_atualizacao': 'TIMESTAMP', 'recibo': 'VARCHAR', 'parcelas': 'VARCHAR', 'etiquetas': 'VARCHAR'},
  header = false, new_line = '\n', delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, comment = '', skip = 0, encoding = 'utf-8', decimal_separator = '.', auto_detect = false, strict_mode = true, null_padding = false, ignore_errors = false, store_rejects = false, hive_partitioning = false, union_by_name = false, compression = 'none',
  max_line_size = 16777216, buffer_size = 33554432,
  filename = '__sluice_file');

-- clear
DELETE FROM "raw"."vendas";

-- insert
INSERT INTO "raw"."vendas" ("id_vendas", "id_clientes", "valor_pago", "taxa", "data_venda", "data_atualizacao", "recibo", "parcelas", "etiquetas", "_sluice_synced_at")
SELECT *, now()
FROM (
SELECT * FROM "__sluice_stage"
QUALIFY row_number() OVER (PARTITION BY "id_vendas" ORDER BY rowid DESC) = 1
);

-- commit
COMMIT;
