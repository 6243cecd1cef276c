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
  CAST("Updated At" AS TIMESTAMPTZ) AS "Updated At"
FROM read_csv(['/data/chunks/Customer_Orders-00001.csv'],
  columns = {'Order ID': 'BIGINT', 'order': 'INTEGER', 'user': 'VARCHAR', 'select': 'VARCHAR', 'group': 'VARCHAR', 'CustomerCode': 'VARCHAR', 'Preço Unitário': 'VARCHAR', 'Status "quoted"': 'VARCHAR', 'Updated At': 'VARCHAR'},
  header = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false,
  auto_detect = false, strict_mode = true, compression = 'none',
  max_line_size = 16777216, buffer_size = 33554432,
  filename = '__sluice_file');

-- delete-matched
DELETE FROM "raw"."Customer Orders" AS "target"
WHERE EXISTS (SELECT 1 FROM "__sluice_stage" AS "batch" WHERE "batch"."Order ID" = "target"."Order ID");

-- insert
INSERT INTO "raw"."Customer Orders" ("Order ID", "order", "user", "select", "group", "CustomerCode", "Preço Unitário", "Status ""quoted""", "Updated At", "_sluice_synced_at")
SELECT "batch"."Order ID", "batch"."order", "batch"."user", "batch"."select", "batch"."group", "batch"."CustomerCode", "batch"."Preço Unitário", "batch"."Status ""quoted""", "batch"."Updated At", now()
FROM (
SELECT * FROM "__sluice_stage"
QUALIFY row_number() OVER (PARTITION BY "Order ID" ORDER BY rowid DESC) = 1
) AS "batch";

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
