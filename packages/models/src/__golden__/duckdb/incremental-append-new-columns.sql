-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

ALTER TABLE "analytics"."payments" ADD COLUMN "note" VARCHAR;

ALTER TABLE "analytics"."payments" ADD COLUMN "channel" VARCHAR;

MERGE INTO "analytics"."payments" AS "DBT_INTERNAL_DEST"
USING (
  select "id", "amount", "updated_at", "note", "channel" from "analytics"."payments__sluice_tmp"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."id" = "DBT_INTERNAL_SOURCE"."id"
WHEN MATCHED THEN UPDATE SET
  "amount" = "DBT_INTERNAL_SOURCE"."amount",
  "updated_at" = "DBT_INTERNAL_SOURCE"."updated_at",
  "note" = "DBT_INTERNAL_SOURCE"."note",
  "channel" = "DBT_INTERNAL_SOURCE"."channel"
WHEN NOT MATCHED THEN INSERT ("id", "amount", "updated_at", "note", "channel")
  VALUES ("DBT_INTERNAL_SOURCE"."id", "DBT_INTERNAL_SOURCE"."amount", "DBT_INTERNAL_SOURCE"."updated_at", "DBT_INTERNAL_SOURCE"."note", "DBT_INTERNAL_SOURCE"."channel");

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: merged 3 rows on id (added columns note, channel) (rows 3)
