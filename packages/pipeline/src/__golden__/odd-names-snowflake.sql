CREATE SCHEMA IF NOT EXISTS "RAW";

CREATE TABLE IF NOT EXISTS "RAW"."Customer Orders" (
  "Order ID" NUMBER(19,0) COMMENT 'sluice:{"type":{"kind":"bigint"},"nullable":false}',
  "ORDER" NUMBER(10,0) COMMENT 'sluice:{"type":{"kind":"integer"},"nullable":false}',
  "USER" VARCHAR(134217728) COMMENT 'sluice:{"type":{"kind":"text"},"nullable":true}',
  "SELECT" VARCHAR(134217728) COMMENT 'sluice:{"type":{"kind":"text"},"nullable":true}',
  "GROUP" VARCHAR(134217728) COMMENT 'sluice:{"type":{"kind":"text"},"nullable":true}',
  "CUSTOMERCODE" VARCHAR(134217728) COMMENT 'sluice:{"type":{"kind":"text"},"nullable":true}',
  "Preço Unitário" NUMBER(10,2) COMMENT 'sluice:{"type":{"kind":"decimal","precision":10,"scale":2},"nullable":false}',
  "Status ""quoted""" VARCHAR(134217728) COMMENT 'sluice:{"type":{"kind":"text"},"nullable":true}',
  "Updated At" TIMESTAMP_TZ(6) COMMENT 'sluice:{"type":{"kind":"timestamptz"},"nullable":false}',
  "_SLUICE_SYNCED_AT" TIMESTAMP_TZ(6)
)
COMMENT = 'sluice:{"primaryKey":["Order ID"]}';

-- model.names.stg_customer_orders
-- Staging view of "Loja Sul"."Customer Orders", as Sluice loads it: rename, cast and tidy columns here.
select
    "Order ID",
    "ORDER",
    "USER",
    "SELECT",
    "GROUP",
    CustomerCode,
    "Preço Unitário",
    "Status ""quoted""",
    "Updated At",
    _sluice_synced_at
from "RAW"."Customer Orders";

-- test.names.source_not_null_loja_Customer_Orders_Order_ID
select *
from "RAW"."Customer Orders" as tested
where "Order ID" is null;

-- test.names.source_unique_loja_Customer_Orders_Order_ID
select "Order ID" as unique_field, count(*) as n_records
from "RAW"."Customer Orders" as tested
where "Order ID" is not null
group by "Order ID"
having count(*) > 1;
