insert into audit.log values ('before');

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS_TABLE" COPY GRANTS AS
select id, amount, updated_at from "raw"."payments";

grant select on analytics.payments_table to reporter;

-- outcome: table created
