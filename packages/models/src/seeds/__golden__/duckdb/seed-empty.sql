-- describe analytics.nothing_yet
CREATE OR REPLACE TABLE "analytics"."nothing_yet" AS
SELECT CAST(NULL AS INTEGER) AS id, CAST(NULL AS INTEGER) AS label WHERE 1 = 0;
-- outcome: 0 rows loaded (0 rows)
