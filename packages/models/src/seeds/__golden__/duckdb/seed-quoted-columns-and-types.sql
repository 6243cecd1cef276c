-- describe analytics.prices
insert into audit.log values ('before');
CREATE OR REPLACE TABLE "analytics"."prices" AS
SELECT CAST(c0 AS varchar(8)) AS "Code",
       CAST(c1 AS DOUBLE) AS "Unit Price",
       CAST(c2 AS VARCHAR) AS "select"
FROM (VALUES
  ('007', '1.50', 'x')
) AS sluice_seed (c0, c1, c2);
grant select on analytics.prices to reporter;
-- outcome: 1 row loaded (1 rows)
