CREATE OR REPLACE VIEW "ANALYTICS"."STG_PAYMENTS" COPY GRANTS AS
select id, amount, updated_at from "raw"."payments";

-- outcome: view created
