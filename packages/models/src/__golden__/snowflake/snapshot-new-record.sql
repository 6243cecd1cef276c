-- describe analytics.price_history

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select *, changed_at as __sluice_updated_at from (
select product_id, price, changed_at from "raw"."prices"
) as snapshot_query;

-- describe analytics.price_history__sluice_snapshot_source

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_CHANGES" DATA_RETENTION_TIME_IN_DAYS = 0 AS
with current_rows as (select * from "ANALYTICS"."PRICE_HISTORY" where "DBT_VALID_TO" is null)
select stg."PRODUCT_ID", stg."PRICE", stg."CHANGED_AT", stg.__sluice_updated_at as "DBT_UPDATED_AT", stg.__sluice_updated_at as "DBT_VALID_FROM",
  nullif(stg.__sluice_updated_at, stg.__sluice_updated_at) as "DBT_VALID_TO", case when cur."DBT_IS_DELETED" = cast('True' as VARCHAR(134217728)) then md5(md5(coalesce(cast(stg.product_id as VARCHAR(134217728)), '') || '|' || coalesce(cast(stg.__sluice_updated_at as VARCHAR(134217728)), '')) || coalesce(cast(cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as VARCHAR(134217728)), '')) else md5(coalesce(cast(stg.product_id as VARCHAR(134217728)), '') || '|' || coalesce(cast(stg.__sluice_updated_at as VARCHAR(134217728)), '')) end as "DBT_SCD_ID", cast('False' as VARCHAR(134217728)) as "DBT_IS_DELETED"
from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg
left join current_rows as cur on stg.product_id = cur.product_id
where cur."DBT_SCD_ID" is null or (stg.__sluice_updated_at > cur."DBT_UPDATED_AT" or cur."DBT_IS_DELETED" = cast('True' as VARCHAR(134217728)))
union all
select cur."PRODUCT_ID", cur."PRICE", cur."CHANGED_AT", cur."DBT_UPDATED_AT", cur."DBT_VALID_FROM", stg.__sluice_updated_at as "DBT_VALID_TO", cur."DBT_SCD_ID", cur."DBT_IS_DELETED"
from current_rows as cur
join "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg on stg.product_id = cur.product_id
where (stg.__sluice_updated_at > cur."DBT_UPDATED_AT" or cur."DBT_IS_DELETED" = cast('True' as VARCHAR(134217728)))
union all
select cur."PRODUCT_ID", cur."PRICE", cur."CHANGED_AT", cur."DBT_UPDATED_AT", cur."DBT_VALID_FROM", cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as "DBT_VALID_TO", cur."DBT_SCD_ID", cur."DBT_IS_DELETED"
from current_rows as cur
where not exists (select 1 from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg where stg.product_id = cur.product_id) and (cur."DBT_IS_DELETED" is null or not cur."DBT_IS_DELETED" = cast('True' as VARCHAR(134217728)))
union all
select cur."PRODUCT_ID", cur."PRICE", cur."CHANGED_AT", cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as "DBT_UPDATED_AT", cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as "DBT_VALID_FROM",
  nullif(cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)), cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6))) as "DBT_VALID_TO", md5(coalesce(cast(cur."DBT_SCD_ID" as VARCHAR(134217728)), '') || coalesce(cast(cast('2024-03-01 04:05:06.789' as TIMESTAMP_NTZ(6)) as VARCHAR(134217728)), '')) as "DBT_SCD_ID", cast('True' as VARCHAR(134217728)) as "DBT_IS_DELETED"
from current_rows as cur
where not exists (select 1 from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE" as stg where stg.product_id = cur.product_id) and (cur."DBT_IS_DELETED" is null or not cur."DBT_IS_DELETED" = cast('True' as VARCHAR(134217728)));

MERGE INTO "ANALYTICS"."PRICE_HISTORY" AS "DBT_INTERNAL_DEST"
USING (
  select "PRODUCT_ID", "PRICE", "CHANGED_AT", "DBT_UPDATED_AT", "DBT_VALID_FROM", "DBT_VALID_TO", "DBT_SCD_ID", "DBT_IS_DELETED" from "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_CHANGES"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."DBT_SCD_ID" = "DBT_INTERNAL_SOURCE"."DBT_SCD_ID"
WHEN MATCHED THEN UPDATE SET
  "PRODUCT_ID" = "DBT_INTERNAL_SOURCE"."PRODUCT_ID",
  "PRICE" = "DBT_INTERNAL_SOURCE"."PRICE",
  "CHANGED_AT" = "DBT_INTERNAL_SOURCE"."CHANGED_AT",
  "DBT_UPDATED_AT" = "DBT_INTERNAL_SOURCE"."DBT_UPDATED_AT",
  "DBT_VALID_FROM" = "DBT_INTERNAL_SOURCE"."DBT_VALID_FROM",
  "DBT_VALID_TO" = "DBT_INTERNAL_SOURCE"."DBT_VALID_TO",
  "DBT_IS_DELETED" = "DBT_INTERNAL_SOURCE"."DBT_IS_DELETED"
WHEN NOT MATCHED THEN INSERT ("DBT_SCD_ID", "PRODUCT_ID", "PRICE", "CHANGED_AT", "DBT_UPDATED_AT", "DBT_VALID_FROM", "DBT_VALID_TO", "DBT_IS_DELETED")
  VALUES ("DBT_INTERNAL_SOURCE"."DBT_SCD_ID", "DBT_INTERNAL_SOURCE"."PRODUCT_ID", "DBT_INTERNAL_SOURCE"."PRICE", "DBT_INTERNAL_SOURCE"."CHANGED_AT", "DBT_INTERNAL_SOURCE"."DBT_UPDATED_AT", "DBT_INTERNAL_SOURCE"."DBT_VALID_FROM", "DBT_INTERNAL_SOURCE"."DBT_VALID_TO", "DBT_INTERNAL_SOURCE"."DBT_IS_DELETED");

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_SOURCE";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PRICE_HISTORY__SLUICE_SNAPSHOT_CHANGES";

-- outcome: snapshot merged 3 rows (rows 3)
