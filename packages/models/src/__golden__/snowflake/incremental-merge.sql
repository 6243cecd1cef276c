-- describe analytics.payments

insert into audit.log values ('before');

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

MERGE INTO "ANALYTICS"."PAYMENTS" AS "DBT_INTERNAL_DEST"
USING (
  select "ID", "AMOUNT", "UPDATED_AT" from "ANALYTICS"."PAYMENTS__SLUICE_TMP"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."ID" = "DBT_INTERNAL_SOURCE"."ID"
WHEN MATCHED THEN UPDATE SET
  "AMOUNT" = "DBT_INTERNAL_SOURCE"."AMOUNT",
  "UPDATED_AT" = "DBT_INTERNAL_SOURCE"."UPDATED_AT"
WHEN NOT MATCHED THEN INSERT ("ID", "AMOUNT", "UPDATED_AT")
  VALUES ("DBT_INTERNAL_SOURCE"."ID", "DBT_INTERNAL_SOURCE"."AMOUNT", "DBT_INTERNAL_SOURCE"."UPDATED_AT");

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

insert into audit.log values ('after');

-- outcome: merged 3 rows on ID (rows 3)
