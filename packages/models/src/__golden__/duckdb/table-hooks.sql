insert into audit.log values ('before');

CREATE OR REPLACE TABLE "analytics"."payments_table" AS
select id, amount, updated_at from "raw"."payments";

grant select on analytics.payments_table to reporter;

-- outcome: table created
