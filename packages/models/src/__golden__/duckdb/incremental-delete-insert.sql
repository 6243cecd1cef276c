-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

-- transaction (all or nothing)
DELETE FROM "analytics"."payments" AS "DBT_INTERNAL_DEST"
WHERE ("id", "region") IN (SELECT DISTINCT "id", "region" FROM "analytics"."payments__sluice_tmp" AS "DBT_INTERNAL_SOURCE");

INSERT INTO "analytics"."payments" ("id", "amount", "updated_at", "region") select "id", "amount", "updated_at", "region" from "analytics"."payments__sluice_tmp";

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

-- outcome: replaced 3 rows by id, region (rows 3)
