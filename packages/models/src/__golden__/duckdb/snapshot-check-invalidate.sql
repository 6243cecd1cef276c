-- describe analytics.price_history

CREATE OR REPLACE TABLE "analytics"."price_history__sluice_snapshot_source" AS
select *, changed_at as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query;

-- describe analytics.price_history__sluice_snapshot_source

ALTER TABLE "analytics"."price_history" ADD COLUMN "currency" VARCHAR;

CREATE OR REPLACE TABLE "analytics"."price_history__sluice_snapshot_changes" AS
with current_rows as (select * from "analytics"."price_history" where "dbt_valid_to" is null)
select stg."product_id", stg."price", stg."changed_at", stg."store_id", stg."currency", stg.__sluice_updated_at as "dbt_updated_at", stg.__sluice_updated_at as "dbt_valid_from",
  nullif(stg.__sluice_updated_at, stg.__sluice_updated_at) as "dbt_valid_to", md5(coalesce(cast(stg.product_id as VARCHAR), '') || '|' || coalesce(cast(stg.store_id as VARCHAR), '') || '|' || coalesce(cast(stg.__sluice_updated_at as VARCHAR), '') || '|' || coalesce(cast(stg.price as VARCHAR), '') || '|' || coalesce(cast(stg.currency as VARCHAR), '')) as "dbt_scd_id"
from "analytics"."price_history__sluice_snapshot_source" as stg
left join current_rows as cur on stg.product_id = cur.product_id and stg.store_id = cur.store_id
where cur."dbt_scd_id" is null or (stg.price is distinct from cur.price or stg.currency is distinct from cur.currency)
union all
select cur."product_id", cur."price", cur."changed_at", cur."store_id", cur."currency", cur."dbt_updated_at", cur."dbt_valid_from", stg.__sluice_updated_at as "dbt_valid_to", cur."dbt_scd_id"
from current_rows as cur
join "analytics"."price_history__sluice_snapshot_source" as stg on stg.product_id = cur.product_id and stg.store_id = cur.store_id
where (stg.price is distinct from cur.price or stg.currency is distinct from cur.currency)
union all
select cur."product_id", cur."price", cur."changed_at", cur."store_id", cur."currency", cur."dbt_updated_at", cur."dbt_valid_from", cast('2024-03-01 04:05:06.789' as TIMESTAMP) as "dbt_valid_to", cur."dbt_scd_id"
from current_rows as cur
where not exists (select 1 from "analytics"."price_history__sluice_snapshot_source" as stg where stg.product_id = cur.product_id and stg.store_id = cur.store_id);

MERGE INTO "analytics"."price_history" AS "DBT_INTERNAL_DEST"
USING (
  select "product_id", "price", "changed_at", "store_id", "currency", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_scd_id" from "analytics"."price_history__sluice_snapshot_changes"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."dbt_scd_id" = "DBT_INTERNAL_SOURCE"."dbt_scd_id"
WHEN MATCHED THEN UPDATE SET
  "product_id" = "DBT_INTERNAL_SOURCE"."product_id",
  "price" = "DBT_INTERNAL_SOURCE"."price",
  "changed_at" = "DBT_INTERNAL_SOURCE"."changed_at",
  "store_id" = "DBT_INTERNAL_SOURCE"."store_id",
  "currency" = "DBT_INTERNAL_SOURCE"."currency",
  "dbt_updated_at" = "DBT_INTERNAL_SOURCE"."dbt_updated_at",
  "dbt_valid_from" = "DBT_INTERNAL_SOURCE"."dbt_valid_from",
  "dbt_valid_to" = "DBT_INTERNAL_SOURCE"."dbt_valid_to"
WHEN NOT MATCHED THEN INSERT ("dbt_scd_id", "product_id", "price", "changed_at", "store_id", "currency", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")
  VALUES ("DBT_INTERNAL_SOURCE"."dbt_scd_id", "DBT_INTERNAL_SOURCE"."product_id", "DBT_INTERNAL_SOURCE"."price", "DBT_INTERNAL_SOURCE"."changed_at", "DBT_INTERNAL_SOURCE"."store_id", "DBT_INTERNAL_SOURCE"."currency", "DBT_INTERNAL_SOURCE"."dbt_updated_at", "DBT_INTERNAL_SOURCE"."dbt_valid_from", "DBT_INTERNAL_SOURCE"."dbt_valid_to");

-- cleanup
DROP TABLE IF EXISTS "analytics"."price_history__sluice_snapshot_source";

-- cleanup
DROP TABLE IF EXISTS "analytics"."price_history__sluice_snapshot_changes";

-- outcome: snapshot merged 3 rows (added columns currency) (rows 3)
