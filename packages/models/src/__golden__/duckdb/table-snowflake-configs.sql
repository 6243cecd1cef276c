CREATE OR REPLACE TABLE "analytics"."payments_table" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: table created

-- warning: config grants of models/payments_table.sql (set in a property file, dbt_project.yml or sluice.yml) is ignored: this engine has no roles or privileges
