-- describe analytics.payments

CREATE OR REPLACE TABLE "ANALYTICS"."PAYMENTS" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table rebuilt (full refresh)
