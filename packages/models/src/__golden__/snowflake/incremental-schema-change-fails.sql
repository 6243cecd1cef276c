-- describe analytics.payments

CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PAYMENTS__SLUICE_TMP" DATA_RETENTION_TIME_IN_DAYS = 0 AS
select id, amount, updated_at from "raw"."payments"
where updated_at > (select max(updated_at) from "analytics"."payments");

-- describe analytics.payments__sluice_tmp

-- cleanup
DROP TABLE IF EXISTS "ANALYTICS"."PAYMENTS__SLUICE_TMP";

-- error SCHEMA_CHANGED: payments: the model's columns changed (new: note; gone: none) and on_schema_change is fail. Rebuild it with --full-refresh, or set on_schema_change: append_new_columns.
