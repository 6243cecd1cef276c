-- describe analytics.nothing_yet
CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."NOTHING_YET" COPY GRANTS AS
SELECT CAST(NULL AS NUMBER(10,0)) AS id, CAST(NULL AS NUMBER(10,0)) AS label WHERE 1 = 0;
-- outcome: 0 rows loaded (0 rows)
