CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS_TABLE" COPY GRANTS AS
select id, amount, updated_at from "raw"."payments";

-- describe analytics.payments_table

DROP VIEW IF EXISTS "ANALYTICS"."PAYMENTS_TABLE";

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS_TABLE" COPY GRANTS AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table created
