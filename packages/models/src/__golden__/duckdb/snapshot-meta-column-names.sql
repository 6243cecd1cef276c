-- describe analytics.price_history

CREATE OR REPLACE TABLE "analytics"."price_history__sluice_snapshot_source" AS
select src.*, src.__sluice_updated_at as "dbt_updated_at", src.__sluice_updated_at as "start_at",
  nullif(src.__sluice_updated_at, src.__sluice_updated_at) as "end_at", md5(coalesce(cast(src.product_id as VARCHAR), '') || '|' || coalesce(cast(src.__sluice_updated_at as VARCHAR), '')) as "dbt_scd_id", cast('False' as VARCHAR) as "gone"
from (select *, changed_at as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query) as src;

-- describe analytics.price_history__sluice_snapshot_source

CREATE OR REPLACE TABLE "analytics"."price_history" AS
select "product_id", "price", "changed_at", "dbt_updated_at", "start_at", "end_at", "dbt_scd_id", "gone" from "analytics"."price_history__sluice_snapshot_source";

-- cleanup
DROP TABLE IF EXISTS "analytics"."price_history__sluice_snapshot_source";

select count(*) as n from "analytics"."price_history";

-- outcome: snapshot created with 2 rows (rows 2)
