CREATE OR REPLACE TABLE "analytics"."payments_table" AS
select id, amount, updated_at from "raw"."payments";

-- describe analytics.payments_table

DROP VIEW IF EXISTS "analytics"."payments_table";

CREATE OR REPLACE TABLE "analytics"."payments_table" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table created
