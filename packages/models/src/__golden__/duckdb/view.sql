CREATE OR REPLACE VIEW "analytics"."stg_payments" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: view created
