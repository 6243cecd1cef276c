-- describe analytics.payments

CREATE OR REPLACE TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

ALTER TABLE "ANALYTICS"."PAYMENTS" ADD COLUMN "NOTE" VARCHAR;

ALTER TABLE "ANALYTICS"."PAYMENTS" ADD COLUMN "CHANNEL" VARCHAR;

MERGE INTO "ANALYTICS"."PAYMENTS" AS "target"
USING (
  select "ID", "AMOUNT", "UPDATED_AT", "NOTE", "CHANNEL" from "ANALYTICS"."PAYMENTS__SLUICE_TMP"
) AS "source"
ON "target"."ID" = "source"."ID"
WHEN MATCHED THEN UPDATE SET
  "AMOUNT" = "source"."AMOUNT",
  "UPDATED_AT" = "source"."UPDATED_AT",
  "NOTE" = "source"."NOTE",
  "CHANNEL" = "source"."CHANNEL"
WHEN NOT MATCHED THEN INSERT ("ID", "AMOUNT", "UPDATED_AT", "NOTE", "CHANNEL")
  VALUES ("source"."ID", "source"."AMOUNT", "source"."UPDATED_AT", "source"."NOTE", "source"."CHANNEL");

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- outcome: merged 3 rows on id (added columns note, channel) (rows 3)
