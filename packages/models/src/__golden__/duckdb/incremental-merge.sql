-- describe analytics.payments

insert into audit.log values ('before');

CREATE OR REPLACE TABLE "analytics"."payments__sluice_tmp" AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

MERGE INTO "analytics"."payments" AS "DBT_INTERNAL_DEST"
USING (
  select "id", "amount", "updated_at" from "analytics"."payments__sluice_tmp"
) AS "DBT_INTERNAL_SOURCE"
ON "DBT_INTERNAL_DEST"."id" = "DBT_INTERNAL_SOURCE"."id"
WHEN MATCHED THEN UPDATE SET
  "amount" = "DBT_INTERNAL_SOURCE"."amount",
  "updated_at" = "DBT_INTERNAL_SOURCE"."updated_at"
WHEN NOT MATCHED THEN INSERT ("id", "amount", "updated_at")
  VALUES ("DBT_INTERNAL_SOURCE"."id", "DBT_INTERNAL_SOURCE"."amount", "DBT_INTERNAL_SOURCE"."updated_at");

-- cleanup
DROP TABLE IF EXISTS "analytics"."payments__sluice_tmp";

insert into audit.log values ('after');

-- outcome: merged 3 rows on ID (rows 3)
