CREATE OR REPLACE VIEW "stage"."stg_vendas" AS
SELECT * FROM "raw"."vendas";

CREATE OR REPLACE TABLE "marts"."dim_clientes" AS
SELECT 1 AS "cliente_id";

MERGE INTO "marts"."fct_vendas" AS "DBT_INTERNAL_DEST"
USING (
  SELECT "venda_id", "valor_venda", "data_venda"
  FROM "stage"."stg_vendas"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."venda_id" = "DBT_INTERNAL_SOURCE"."venda_id"
WHEN MATCHED THEN UPDATE SET
  "valor_venda" = "DBT_INTERNAL_SOURCE"."valor_venda",
  "data_venda" = "DBT_INTERNAL_SOURCE"."data_venda"
WHEN NOT MATCHED THEN INSERT ("venda_id", "valor_venda", "data_venda")
  VALUES ("DBT_INTERNAL_SOURCE"."venda_id", "DBT_INTERNAL_SOURCE"."valor_venda", "DBT_INTERNAL_SOURCE"."data_venda");

DROP VIEW IF EXISTS "stage"."stg_vendas";

DROP TABLE IF EXISTS "marts"."dim_clientes";
