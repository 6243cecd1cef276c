CREATE OR REPLACE VIEW "ANALYTICS"."STG_PAYMENTS" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: view created
