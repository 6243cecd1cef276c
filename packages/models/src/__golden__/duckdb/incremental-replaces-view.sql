-- describe analytics.payments

CREATE OR REPLACE TABLE "analytics"."payments" AS
select id, amount, updated_at from "raw"."payments";

-- describe analytics.payments

DROP VIEW IF EXISTS "analytics"."payments";

CREATE OR REPLACE TABLE "analytics"."payments" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table created (replacing a view)
