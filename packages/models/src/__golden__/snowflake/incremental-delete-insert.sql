-- describe analytics.payments

CREATE OR REPLACE TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

DELETE FROM "ANALYTICS"."PAYMENTS" WHERE "ID" in (select "ID" from "ANALYTICS"."PAYMENTS__SLUICE_TMP") and "REGION" in (select "REGION" from "ANALYTICS"."PAYMENTS__SLUICE_TMP");

INSERT INTO "ANALYTICS"."PAYMENTS" ("ID", "AMOUNT", "UPDATED_AT", "REGION") select "ID", "AMOUNT", "UPDATED_AT", "REGION" from "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- outcome: replaced 3 rows by id, region (rows 3)
