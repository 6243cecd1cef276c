-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

MERGE INTO "analytics"."payments" AS "DBT_INTERNAL_DEST"
USING (
  select "id", "amount", "updated_at" from "analytics"."payments__sluice_tmp"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."id" = "DBT_INTERNAL_SOURCE"."id"
  AND (DBT_INTERNAL_DEST.updated_at > '2024-01-01')
WHEN MATCHED THEN UPDATE SET
  "amount" = "DBT_INTERNAL_SOURCE"."amount",
  "updated_at" = "DBT_INTERNAL_SOURCE"."updated_at"
WHEN NOT MATCHED THEN INSERT ("id", "amount", "updated_at")
  VALUES ("DBT_INTERNAL_SOURCE"."id", "DBT_INTERNAL_SOURCE"."amount", "DBT_INTERNAL_SOURCE"."updated_at");

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: merged 3 rows on id (rows 3)
