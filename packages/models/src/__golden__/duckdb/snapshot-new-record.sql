-- describe analytics.price_history

CREATE OR REPLACE TABLE "analytics"."price_history__sluice_snapshot_source" AS
select *, changed_at as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query;

-- describe analytics.price_history__sluice_snapshot_source

CREATE OR REPLACE TABLE "analytics"."price_history__sluice_snapshot_changes" AS
with current_rows as (select * from "analytics"."price_history" where "dbt_valid_to" is null)
select stg."product_id", stg."price", stg."changed_at", stg.__sluice_updated_at as "dbt_updated_at", stg.__sluice_updated_at as "dbt_valid_from",
  nullif(stg.__sluice_updated_at, stg.__sluice_updated_at) as "dbt_valid_to", case when cur."dbt_is_deleted" = cast('True' as VARCHAR) then md5(md5(coalesce(cast(stg.product_id as VARCHAR), '') || '|' || coalesce(cast(stg.__sluice_updated_at as VARCHAR), '')) || coalesce(cast(cast('2024-03-01 04:05:06.789' as TIMESTAMP) as VARCHAR), '')) else md5(coalesce(cast(stg.product_id as VARCHAR), '') || '|' || coalesce(cast(stg.__sluice_updated_at as VARCHAR), '')) end as "dbt_scd_id", cast('False' as VARCHAR) as "dbt_is_deleted"
from "analytics"."price_history__sluice_snapshot_source" as stg
left join current_rows as cur on stg.product_id = cur.product_id
where cur."dbt_scd_id" is null or (stg.__sluice_updated_at > cur."dbt_updated_at" or cur."dbt_is_deleted" = cast('True' as VARCHAR))
union all
select cur."product_id", cur."price", cur."changed_at", cur."dbt_updated_at", cur."dbt_valid_from", stg.__sluice_updated_at as "dbt_valid_to", cur."dbt_scd_id", cur."dbt_is_deleted"
from current_rows as cur
join "analytics"."price_history__sluice_snapshot_source" as stg on stg.product_id = cur.product_id
where (stg.__sluice_updated_at > cur."dbt_updated_at" or cur."dbt_is_deleted" = cast('True' as VARCHAR))
union all
select cur."product_id", cur."price", cur."changed_at", cur."dbt_updated_at", cur."dbt_valid_from", cast('2024-03-01 04:05:06.789' as TIMESTAMP) as "dbt_valid_to", cur."dbt_scd_id", cur."dbt_is_deleted"
from current_rows as cur
where not exists (select 1 from "analytics"."price_history__sluice_snapshot_source" as stg where stg.product_id = cur.product_id) and (cur."dbt_is_deleted" is null or not cur."dbt_is_deleted" = cast('True' as VARCHAR))
union all
select cur."product_id", cur."price", cur."changed_at", cast('2024-03-01 04:05:06.789' as TIMESTAMP) as "dbt_updated_at", cast('2024-03-01 04:05:06.789' as TIMESTAMP) as "dbt_valid_from",
  nullif(cast('2024-03-01 04:05:06.789' as TIMESTAMP), cast('2024-03-01 04:05:06.789' as TIMESTAMP)) as "dbt_valid_to", md5(coalesce(cast(cur."dbt_scd_id" as VARCHAR), '') || coalesce(cast(cast('2024-03-01 04:05:06.789' as TIMESTAMP) as VARCHAR), '')) as "dbt_scd_id", cast('True' as VARCHAR) as "dbt_is_deleted"
from current_rows as cur
where not exists (select 1 from "analytics"."price_history__sluice_snapshot_source" as stg where stg.product_id = cur.product_id) and (cur."dbt_is_deleted" is null or not cur."dbt_is_deleted" = cast('True' as VARCHAR));

MERGE INTO "analytics"."price_history" AS "DBT_INTERNAL_DEST"
USING (
  select "product_id", "price", "changed_at", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_is_deleted" from "analytics"."price_history__sluice_snapshot_changes"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."dbt_scd_id" = "DBT_INTERNAL_SOURCE"."dbt_scd_id"
WHEN MATCHED THEN UPDATE SET
  "product_id" = "DBT_INTERNAL_SOURCE"."product_id",
  "price" = "DBT_INTERNAL_SOURCE"."price",
  "changed_at" = "DBT_INTERNAL_SOURCE"."changed_at",
  "dbt_updated_at" = "DBT_INTERNAL_SOURCE"."dbt_updated_at",
  "dbt_valid_from" = "DBT_INTERNAL_SOURCE"."dbt_valid_from",
  "dbt_valid_to" = "DBT_INTERNAL_SOURCE"."dbt_valid_to",
  "dbt_is_deleted" = "DBT_INTERNAL_SOURCE"."dbt_is_deleted"
WHEN NOT MATCHED THEN INSERT ("dbt_scd_id", "product_id", "price", "changed_at", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted")
  VALUES ("DBT_INTERNAL_SOURCE"."dbt_scd_id", "DBT_INTERNAL_SOURCE"."product_id", "DBT_INTERNAL_SOURCE"."price", "DBT_INTERNAL_SOURCE"."changed_at", "DBT_INTERNAL_SOURCE"."dbt_updated_at", "DBT_INTERNAL_SOURCE"."dbt_valid_from", "DBT_INTERNAL_SOURCE"."dbt_valid_to", "DBT_INTERNAL_SOURCE"."dbt_is_deleted");

-- cleanup
DROP TABLE IF EXISTS "analytics"."price_history__sluice_snapshot_source";

-- cleanup
DROP TABLE IF EXISTS "analytics"."price_history__sluice_snapshot_changes";

-- outcome: snapshot merged 3 rows (rows 3)
