CREATE SCHEMA IF NOT EXISTS "raw";

CREATE TABLE "raw"."Customer Orders" (
  "Order ID" BIGINT,
  "order" INTEGER,
  "user" VARCHAR,
  "select" VARCHAR,
  "group" VARCHAR,
  "CustomerCode" VARCHAR,
  "Preço Unitário" DECIMAL(10,2),
  "Status ""quoted""" VARCHAR,
  "Updated At" TIMESTAMPTZ,
  "_sluice_synced_at" TIMESTAMPTZ
);

COMMENT ON TABLE "raw"."Customer Orders" IS 'sluice:{"primaryKey":["Order ID"]}';

COMMENT ON COLUMN "raw"."Customer Orders"."Order ID" IS 'sluice:{"type":{"kind":"bigint"},"nullable":false}';

COMMENT ON COLUMN "raw"."Customer Orders"."order" IS 'sluice:{"type":{"kind":"integer"},"nullable":false}';

COMMENT ON COLUMN "raw"."Customer Orders"."user" IS 'sluice:{"type":{"kind":"text"},"nullable":true}';

COMMENT ON COLUMN "raw"."Customer Orders"."select" IS 'sluice:{"type":{"kind":"text"},"nullable":true}';

COMMENT ON COLUMN "raw"."Customer Orders"."group" IS 'sluice:{"type":{"kind":"text"},"nullable":true}';

COMMENT ON COLUMN "raw"."Customer Orders"."CustomerCode" IS 'sluice:{"type":{"kind":"text"},"nullable":true}';

COMMENT ON COLUMN "raw"."Customer Orders"."Preço Unitário" IS 'sluice:{"type":{"kind":"decimal","precision":10,"scale":2},"nullable":false}';

COMMENT ON COLUMN "raw"."Customer Orders"."Status ""quoted""" IS 'sluice:{"type":{"kind":"text"},"nullable":true}';

COMMENT ON COLUMN "raw"."Customer Orders"."Updated At" IS 'sluice:{"type":{"kind":"timestamptz"},"nullable":false}';

-- begin
BEGIN TRANSACTION;

-- stage
CREATE TEMP TABLE "__sluice_stage" AS
SELECT "Order ID",
  "order",
  "user",
  "select",
  "group",
  "CustomerCode",
  CASE WHEN "Preço Unitário" IS NULL THEN NULL WHEN "Preço Unitário" IN ('NaN', 'Infinity', '-Infinity') THEN error('SLUICE_UNREPRESENTABLE_VALUE ' || CAST(to_json({'table': 'raw.Customer Orders', 'column': 'Preço Unitário', 'type': 'DECIMAL(10,2)', 'reason': 'DuckDB decimals hold no NaN or Infinity', 'value': "Preço Unitário", 'file': "__sluice_file"}) AS VARCHAR)) ELSE CAST("Preço Unitário" AS DECIMAL(10,2)) END AS "Preço Unitário",
  "Status ""quoted""",
  CAST(CASE WHEN "Updated At" LIKE '% BC' THEN CASE WHEN CAST(left("Updated At", 4) AS INTEGER) = 1 THEN '0000' ELSE '-' || lpad(CAST(CAST(left("Updated At", 4) AS INTEGER) - 1 AS VARCHAR), 4, '0') END || substr("Updated At", 5, length("Updated At") - 7) ELSE "Updated At" END AS TIMESTAMPTZ) AS "Updated At"
FROM read_csv(['/data/chunks/Customer_Orders-00001.csv'],
  columns = {'Order ID': 'BIGINT', 'order': 'INTEGER', 'user': 'VARCHAR', 'select': 'VARCHAR', 'group': 'VARCHAR', 'CustomerCode': 'VARCHAR', 'Preço Unitário': 'VARCHAR', 'Status "quoted"': 'VARCHAR', 'Updated At': 'VARCHAR'},
  header = false, new_line = '\n', delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, comment = '', skip = 0, encoding = 'utf-8', decimal_separator = '.', auto_detect = false, strict_mode = true, null_padding = false, ignore_errors = false, store_rejects = false, hive_partitioning = false, union_by_name = false, compression = 'none',
  max_line_size = 16777216, buffer_size = 33554432,
  filename = '__sluice_file');

-- match
CREATE TEMP TABLE "__sluice_matched" AS
SELECT "batch"."Order ID", ("batch"."order" IS DISTINCT FROM "target"."order"
   OR "batch"."user" IS DISTINCT FROM "target"."user"
   OR "batch"."select" IS DISTINCT FROM "target"."select"
   OR "batch"."group" IS DISTINCT FROM "target"."group"
   OR "batch"."CustomerCode" IS DISTINCT FROM "target"."CustomerCode"
   OR "batch"."Preço Unitário" IS DISTINCT FROM "target"."Preço Unitário"
   OR "batch"."Status ""quoted""" IS DISTINCT FROM "target"."Status ""quoted"""
   OR "batch"."Updated At" IS DISTINCT FROM "target"."Updated At") AS "__sluice_changed"
FROM "__sluice_stage" AS "batch"
JOIN "raw"."Customer Orders" AS "target" ON "batch"."Order ID" = "target"."Order ID";

-- changed
CREATE TEMP TABLE "__sluice_changed_keys" AS
SELECT "Order ID" FROM "__sluice_matched" WHERE "__sluice_changed";

-- delete-matched
DELETE FROM "raw"."Customer Orders" AS "target"
USING "__sluice_changed_keys" AS "changed"
WHERE "changed"."Order ID" = "target"."Order ID";

-- insert
INSERT INTO "raw"."Customer Orders" ("Order ID", "order", "user", "select", "group", "CustomerCode", "Preço Unitário", "Status ""quoted""", "Updated At", "_sluice_synced_at")
SELECT "batch"."Order ID", "batch"."order", "batch"."user", "batch"."select", "batch"."group", "batch"."CustomerCode", "batch"."Preço Unitário", "batch"."Status ""quoted""", "batch"."Updated At", now()
FROM "__sluice_stage" AS "batch"
WHERE NOT EXISTS (SELECT 1 FROM "__sluice_matched" AS "matched" WHERE NOT "matched"."__sluice_changed" AND "matched"."Order ID" = "batch"."Order ID");

-- commit
COMMIT;

-- model.names.stg_customer_orders
-- Staging view of "Loja Sul"."Customer Orders", as Sluice loads it: rename, cast and tidy columns here.
select
    "Order ID",
    "order",
    "user",
    "select",
    "group",
    CustomerCode,
    "Preço Unitário",
    "Status ""quoted""",
    "Updated At",
    _sluice_synced_at
from "raw"."Customer Orders";

-- test.names.source_not_null_loja_Customer_Orders_Order_ID
select *
from "raw"."Customer Orders" as tested
where "Order ID" is null;

-- test.names.source_unique_loja_Customer_Orders_Order_ID
select "Order ID" as unique_field, count(*) as n_records
from "raw"."Customer Orders" as tested
where "Order ID" is not null
group by "Order ID"
having count(*) > 1;
