-- describe analytics.price_history

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select *, cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query;

-- describe analytics.price_history__sluice_snapshot_source

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_CHANGES" DATA_RETENTION_TIME_IN_DAYS = 0 AS
with current_rows as (select * from "ANALYTICS"."PRICE_HISTORY" where "DBT_VALID_TO" is null)
select stg."PRODUCT_ID", stg."PRICE", stg."CHANGED_AT", stg.__sluice_updated_at as "DBT_UPDATED_AT", stg.__sluice_updated_at as "DBT_VALID_FROM",
  nullif(stg.__sluice_updated_at, stg.__sluice_updated_at) as "DBT_VALID_TO", md5(coalesce(cast(stg.product_id as VARCHAR(134217728)), '') || '|' || coalesce(cast(stg.__sluice_updated_at as VARCHAR(134217728)), '') || '|' || coalesce(cast(stg."PRODUCT_ID" as VARCHAR(134217728)), '') || '|' || coalesce(cast(stg."PRICE" as VARCHAR(134217728)), '') || '|' || coalesce(cast(stg."CHANGED_AT" as VARCHAR(134217728)), '')) as "DBT_SCD_ID"
from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg
left join current_rows as cur on stg.product_id = cur.product_id
where cur."DBT_SCD_ID" is null or (stg."PRODUCT_ID" is distinct from cur."PRODUCT_ID" or stg."PRICE" is distinct from cur."PRICE" or stg."CHANGED_AT" is distinct from cur."CHANGED_AT")
union all
select cur."PRODUCT_ID", cur."PRICE", cur."CHANGED_AT", cur."DBT_UPDATED_AT", cur."DBT_VALID_FROM", stg.__sluice_updated_at as "DBT_VALID_TO", cur."DBT_SCD_ID"
from current_rows as cur
join "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg on stg.product_id = cur.product_id
where (stg."PRODUCT_ID" is distinct from cur."PRODUCT_ID" or stg."PRICE" is distinct from cur."PRICE" or stg."CHANGED_AT" is distinct from cur."CHANGED_AT")
union all
select cur."PRODUCT_ID", cur."PRICE", cur."CHANGED_AT", cur."DBT_UPDATED_AT", cur."DBT_VALID_FROM", cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as "DBT_VALID_TO", cur."DBT_SCD_ID"
from current_rows as cur
where not exists (select 1 from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg where stg.product_id = cur.product_id);

MERGE INTO "ANALYTICS"."PRICE_HISTORY" AS "DBT_INTERNAL_DEST"
USING (
  select "PRODUCT_ID", "PRICE", "CHANGED_AT", "DBT_UPDATED_AT", "DBT_VALID_FROM", "DBT_VALID_TO", "DBT_SCD_ID" from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_CHANGES"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."DBT_SCD_ID" = "DBT_INTERNAL_SOURCE"."DBT_SCD_ID"
WHEN MATCHED THEN UPDATE SET
  "PRODUCT_ID" = "DBT_INTERNAL_SOURCE"."PRODUCT_ID",
  "PRICE" = "DBT_INTERNAL_SOURCE"."PRICE",
  "CHANGED_AT" = "DBT_INTERNAL_SOURCE"."CHANGED_AT",
  "DBT_UPDATED_AT" = "DBT_INTERNAL_SOURCE"."DBT_UPDATED_AT",
  "DBT_VALID_FROM" = "DBT_INTERNAL_SOURCE"."DBT_VALID_FROM",
  "DBT_VALID_TO" = "DBT_INTERNAL_SOURCE"."DBT_VALID_TO"
WHEN NOT MATCHED THEN INSERT ("DBT_SCD_ID", "PRODUCT_ID", "PRICE", "CHANGED_AT", "DBT_UPDATED_AT", "DBT_VALID_FROM", "DBT_VALID_TO")
  VALUES ("DBT_INTERNAL_SOURCE"."DBT_SCD_ID", "DBT_INTERNAL_SOURCE"."PRODUCT_ID", "DBT_INTERNAL_SOURCE"."PRICE", "DBT_INTERNAL_SOURCE"."CHANGED_AT", "DBT_INTERNAL_SOURCE"."DBT_UPDATED_AT", "DBT_INTERNAL_SOURCE"."DBT_VALID_FROM", "DBT_INTERNAL_SOURCE"."DBT_VALID_TO");

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_CHANGES";

-- outcome: snapshot merged 3 rows (rows 3)
