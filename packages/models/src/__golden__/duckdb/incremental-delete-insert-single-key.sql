-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

-- transaction (all or nothing)
DELETE FROM "analytics"."payments" AS "DBT_INTERNAL_DEST"
WHERE "id" IN (SELECT DISTINCT "id" FROM "analytics"."payments__sluice_tmp" AS "DBT_INTERNAL_SOURCE")
  AND (DBT_INTERNAL_DEST.updated_at > '2024-01-01');

INSERT INTO "analytics"."payments" ("id", "amount", "updated_at") select "id", "amount", "updated_at" from "analytics"."payments__sluice_tmp";

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: replaced 3 rows by id (rows 3)
