-- describe analytics.payments

CREATE OR REPLACE TABLE "ANALYTICS"."PAYMENTS" AS
select id, amount, updated_at from "raw"."payments";

-- describe analytics.payments

DROP VIEW IF EXISTS "ANALYTICS"."PAYMENTS";

CREATE OR REPLACE TABLE "ANALYTICS"."PAYMENTS" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table created (replacing a view)
