-- describe analytics.payments

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

ALTER TABLE "ANALYTICS"."PAYMENTS" ADD COLUMN "NOTE" VARCHAR(134217728);

ALTER TABLE "ANALYTICS"."PAYMENTS" DROP COLUMN "LEGACY";

INSERT INTO "ANALYTICS"."PAYMENTS" ("ID", "AMOUNT", "UPDATED_AT", "NOTE") select "ID", "AMOUNT", "UPDATED_AT", "NOTE" from "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- outcome: appended 3 rows (added columns note; dropped columns legacy) (rows 3)
