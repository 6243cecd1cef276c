-- describe analytics.price_history

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select src.*, src.__sluice_updated_at as "DBT_UPDATED_AT", src.__sluice_updated_at as "DBT_VALID_FROM",
  nullif(src.__sluice_updated_at, src.__sluice_updated_at) as "DBT_VALID_TO", md5(coalesce(cast(src.product_id as VARCHAR(134217728)), '') || '|' || coalesce(cast(src.__sluice_updated_at as VARCHAR(134217728)), '')) as "DBT_SCD_ID"
from (select *, changed_at as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query) as src;

-- describe analytics.price_history__sluice_snapshot_source

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICE_HISTORY" COPY GRANTS AS
select "PRODUCT_ID", "PRICE", "CHANGED_AT", "DBT_UPDATED_AT", "DBT_VALID_FROM", "DBT_VALID_TO", "DBT_SCD_ID" from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE";

select count(*) as n from "ANALYTICS"."PRICE_HISTORY";

SHOW GRANTS ON TABLE "ANALYTICS"."PRICE_HISTORY";

REVOKE SELECT ON TABLE "ANALYTICS"."PRICE_HISTORY" FROM ROLE "LEGACY_BI";

-- outcome: snapshot created with 2 rows (rows 2)
