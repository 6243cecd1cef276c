-- describe analytics.payments

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

-- transaction (all or nothing)
DELETE FROM "ANALYTICS"."PAYMENTS" AS "DBT_INTERNAL_DEST"
WHERE "ID" IN (SELECT DISTINCT "ID" FROM "ANALYTICS"."PAYMENTS__SLUICE_TMP" AS "DBT_INTERNAL_SOURCE")
  AND (DBT_INTERNAL_DEST.updated_at > '2024-01-01');

INSERT INTO "ANALYTICS"."PAYMENTS" ("ID", "AMOUNT", "UPDATED_AT") select "ID", "AMOUNT", "UPDATED_AT" from "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- outcome: replaced 3 rows by id (rows 3)
