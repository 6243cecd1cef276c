-- describe analytics.payments

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

INSERT INTO "ANALYTICS"."PAYMENTS" ("ID", "AMOUNT", "UPDATED_AT") select "ID", "AMOUNT", "UPDATED_AT" from "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- outcome: appended 3 rows (rows 3)
