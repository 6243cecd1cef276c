-- describe analytics.prices
insert into audit.log values ('before');
CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."PRICES" COPY GRANTS AS
SELECT CAST(c0 AS varchar(8)) AS "CODE",
       CAST(c1 AS FLOAT) AS "Unit Price",
       CAST(c2 AS VARCHAR(134217728)) AS "SELECT"
FROM (VALUES
  ('007', '1.50', 'x')
) AS sluice_seed (c0, c1, c2);
grant select on analytics.prices to reporter;
-- outcome: 1 row loaded (1 rows)
