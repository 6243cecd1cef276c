-- describe analytics.payments

insert into audit.log values ('before');

CREATE OR REPLACE TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

MERGE INTO "ANALYTICS"."PAYMENTS" AS "target"
USING (
  select "ID", "AMOUNT", "UPDATED_AT" from "ANALYTICS"."PAYMENTS__SLUICE_TMP"
) AS "source"
ON "target"."ID" = "source"."ID"
WHEN MATCHED THEN UPDATE SET
  "AMOUNT" = "source"."AMOUNT",
  "UPDATED_AT" = "source"."UPDATED_AT"
WHEN NOT MATCHED THEN INSERT ("ID", "AMOUNT", "UPDATED_AT")
  VALUES ("source"."ID", "source"."AMOUNT", "source"."UPDATED_AT");

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

insert into audit.log values ('after');

-- outcome: merged 3 rows on ID (rows 3)
