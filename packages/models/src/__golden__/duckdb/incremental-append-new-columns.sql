-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

ALTER TABLE "analytics"."payments" ADD COLUMN "note" VARCHAR;

ALTER TABLE "analytics"."payments" ADD COLUMN "channel" VARCHAR;

MERGE INTO "analytics"."payments" AS "target"
USING (
  select "id", "amount", "updated_at", "note", "channel" from "analytics"."payments__sluice_tmp"
) AS "source"
ON "target"."id" = "source"."id"
WHEN MATCHED THEN UPDATE SET
  "amount" = "source"."amount",
  "updated_at" = "source"."updated_at",
  "note" = "source"."note",
  "channel" = "source"."channel"
WHEN NOT MATCHED THEN INSERT ("id", "amount", "updated_at", "note", "channel")
  VALUES ("source"."id", "source"."amount", "source"."updated_at", "source"."note", "source"."channel");

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: merged 3 rows on id (added columns note, channel) (rows 3)
