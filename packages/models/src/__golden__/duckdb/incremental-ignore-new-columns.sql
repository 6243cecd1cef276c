-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

MERGE INTO "analytics"."payments" AS "target"
USING (
  select "id", "amount", "updated_at" from "analytics"."payments__sluice_tmp"
) AS "source"
ON "target"."id" = "source"."id"
WHEN MATCHED THEN UPDATE SET
  "amount" = "source"."amount",
  "updated_at" = "source"."updated_at"
WHEN NOT MATCHED THEN INSERT ("id", "amount", "updated_at")
  VALUES ("source"."id", "source"."amount", "source"."updated_at");

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: merged 3 rows on id (rows 3)
