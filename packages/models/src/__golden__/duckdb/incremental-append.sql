-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

INSERT INTO "analytics"."payments" ("id", "amount", "updated_at") select "id", "amount", "updated_at" from "analytics"."payments__sluice_tmp";

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: appended 3 rows (rows 3)
