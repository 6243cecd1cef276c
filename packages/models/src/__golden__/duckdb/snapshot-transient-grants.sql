-- describe analytics.price_history

CREATE OR REPLACE TABLE "analytics"."price_history__sluice_snapshot_source" AS
select src.*, src.__sluice_updated_at as "dbt_updated_at", src.__sluice_updated_at as "dbt_valid_from",
  nullif(src.__sluice_updated_at, src.__sluice_updated_at) as "dbt_valid_to", md5(coalesce(cast(src.product_id as VARCHAR), '') || '|' || coalesce(cast(src.__sluice_updated_at as VARCHAR), '')) as "dbt_scd_id"
from (select *, changed_at as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query) as src;

-- describe analytics.price_history__sluice_snapshot_source

CREATE OR REPLACE TABLE "analytics"."price_history" AS
select "product_id", "price", "changed_at", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_scd_id" from "analytics"."price_history__sluice_snapshot_source";

-- cleanup
DROP TABLE IF EXISTS "analytics"."price_history__sluice_snapshot_source";

select count(*) as n from "analytics"."price_history";

-- outcome: snapshot created with 2 rows (rows 2)

-- warning: config grants of snapshots/price_history.sql (set in a property file, dbt_project.yml or sluice.yml) is ignored: this engine has no roles or privileges
