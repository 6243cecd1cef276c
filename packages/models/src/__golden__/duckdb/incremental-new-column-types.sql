-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

ALTER TABLE "analytics"."payments" ADD COLUMN "payload" JSON;

ALTER TABLE "analytics"."payments" ADD COLUMN "seen_at_local" TIMESTAMP WITH TIME ZONE;

MERGE INTO "analytics"."payments" AS "DBT_INTERNAL_DEST"
USING (
  select "id", "amount", "updated_at", "payload", "seen_at_local" from "analytics"."payments__sluice_tmp"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."id" = "DBT_INTERNAL_SOURCE"."id"
WHEN MATCHED THEN UPDATE SET
  "amount" = "DBT_INTERNAL_SOURCE"."amount",
  "updated_at" = "DBT_INTERNAL_SOURCE"."updated_at",
  "payload" = "DBT_INTERNAL_SOURCE"."payload",
  "seen_at_local" = "DBT_INTERNAL_SOURCE"."seen_at_local"
WHEN NOT MATCHED THEN INSERT ("id", "amount", "updated_at", "payload", "seen_at_local")
  VALUES ("DBT_INTERNAL_SOURCE"."id", "DBT_INTERNAL_SOURCE"."amount", "DBT_INTERNAL_SOURCE"."updated_at", "DBT_INTERNAL_SOURCE"."payload", "DBT_INTERNAL_SOURCE"."seen_at_local");

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: merged 3 rows on id (added columns payload, seen_at_local) (rows 3)
