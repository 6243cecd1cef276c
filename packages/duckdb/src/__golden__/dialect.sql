CREATE OR REPLACE VIEW "stage"."stg_vendas" AS
SELECT * FROM "raw"."vendas";

CREATE OR REPLACE TABLE "marts"."dim_clientes" AS
SELECT 1 AS "cliente_id";

MERGE INTO "marts"."fct_vendas" AS "target"
USING (
  SELECT "venda_id", "valor_venda", "data_venda"
  FROM "stage"."stg_vendas"
) AS "source"
ON "target"."venda_id" = "source"."venda_id"
WHEN MATCHED THEN UPDATE SET
  "valor_venda" = "source"."valor_venda",
  "data_venda" = "source"."data_venda"
WHEN NOT MATCHED THEN INSERT ("venda_id", "valor_venda", "data_venda")
  VALUES ("source"."venda_id", "source"."valor_venda", "source"."data_venda");

DROP VIEW IF EXISTS "stage"."stg_vendas";

DROP TABLE IF EXISTS "marts"."dim_clientes";
