-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

ALTER TABLE "analytics"."payments" ADD COLUMN "note" VARCHAR;

ALTER TABLE "analytics"."payments" DROP COLUMN "legacy";

INSERT INTO "analytics"."payments" ("id", "amount", "updated_at", "note") select "id", "amount", "updated_at", "note" from "analytics"."payments__sluice_tmp";

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: appended 3 rows (added columns note; dropped columns legacy) (rows 3)
