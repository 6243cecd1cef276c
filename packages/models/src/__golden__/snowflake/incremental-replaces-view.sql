-- describe analytics.payments

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS" COPY GRANTS AS
select id, amount, updated_at from "raw"."payments";

-- describe analytics.payments

DROP VIEW IF EXISTS "ANALYTICS"."PAYMENTS";

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS" COPY GRANTS AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table created (replacing a view)
