CREATE OR REPLACE VIEW "analytics"."stg_payments" AS
select id, amount, updated_at from "raw"."payments";

-- outcome: view created

-- warning: config grants of models/stg_payments.sql (set in a property file, dbt_project.yml or sluice.yml) is ignored: this engine has no roles or privileges
