-- describe analytics.countries
CREATE OR REPLACE TABLE "ANALYTICS"."COUNTRIES" COPY GRANTS AS
SELECT CAST(c0 AS VARCHAR(134217728)) AS code,
       CAST(c1 AS VARCHAR(134217728)) AS name,
       CAST(c2 AS FLOAT) AS population,
       CAST(c3 AS DATE) AS founded,
       CAST(c4 AS BOOLEAN) AS member
FROM (VALUES
  ('BR', 'Brasil', '216.4', '1822-09-07', 'true'),
  ('AR', 'Argentina', '46.2', '1816-07-09', 'false')
) AS sluice_seed (c0, c1, c2, c3, c4);
SHOW GRANTS ON TABLE "ANALYTICS"."COUNTRIES";
GRANT SELECT ON TABLE "ANALYTICS"."COUNTRIES" TO ROLE "ANALYST";
GRANT SELECT ON TABLE "ANALYTICS"."COUNTRIES" TO ROLE "REPORTER";
-- outcome: 2 rows loaded (2 rows)
