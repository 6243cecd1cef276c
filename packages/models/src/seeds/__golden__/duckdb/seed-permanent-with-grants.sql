-- describe analytics.countries
CREATE OR REPLACE TABLE "analytics"."countries" AS
SELECT CAST(c0 AS VARCHAR) AS code,
       CAST(c1 AS VARCHAR) AS name,
       CAST(c2 AS DOUBLE) AS population,
       CAST(c3 AS DATE) AS founded,
       CAST(c4 AS BOOLEAN) AS member
FROM (VALUES
  ('BR', 'Brasil', '216.4', '1822-09-07', 'true'),
  ('AR', 'Argentina', '46.2', '1816-07-09', 'false')
) AS sluice_seed (c0, c1, c2, c3, c4);
-- outcome: 2 rows loaded (2 rows)
-- warning: config grants of seeds/countries.csv (set in a property file, dbt_project.yml or sluice.yml) is ignored: this engine has no roles or privileges
