-- begin, on the table connection (with what follows, up to the export: one round trip)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- first query: fixes the snapshot
SELECT pg_snapshot_xmin(snap.s)::text AS xmin,
       pg_snapshot_xmax(snap.s)::text AS xmax,
       now()::text AS now,
       current_setting('server_version_num')::int AS version,
       pg_relation_size('"public"."vendas"'::regclass) / current_setting('block_size')::int AS pages,
       (SELECT json_build_object('xid', o.x::text, 'open', coalesce(pg_xact_status(o.x) = 'in progress', false),
               'pid', a.pid, 'database', a.datname, 'since', a.xact_start::text)
          FROM (SELECT '4294967396'::xid8 AS x) AS o
          LEFT JOIN pg_stat_activity AS a ON a.backend_xid = xid(o.x)
         WHERE o.x < pg_snapshot_xmax(snap.s)
         LIMIT 1) AS held_by
FROM (SELECT pg_current_snapshot() AS s) AS snap;

-- begin, on each helper
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- upper bound, on a helper, in the shared snapshot
SET LOCAL max_parallel_workers_per_gather = 0; SELECT (COALESCE("data_atualizacao", "data_inclusao"))::text AS c0, ("id_vendas")::text AS c1, count(*) OVER () AS window_rows, count(*) FILTER (WHERE NOT (CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END)) OVER () AS unexplained FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) ORDER BY COALESCE("data_atualizacao", "data_inclusao") DESC, "id_vendas" DESC LIMIT 1;

-- rows 1/1 (sweep) -> vendas-*.csv, on the table connection
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END) TO STDOUT (FORMAT csv);

-- rows the bound query found unexplained -> vendas-unexplained-*.csv
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", CASE WHEN "data_venda" < '0001-01-01' AND "data_venda" <> '-infinity' THEN CASE WHEN left("data_venda"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("data_venda"::text, 4)::int - 1)::text, 4, '0') END || substr("data_venda"::text, 5, length("data_venda"::text) - 7) ELSE "data_venda"::text END AS "data_venda", CASE WHEN "data_inclusao" < '0001-01-01' AND "data_inclusao" <> '-infinity' THEN CASE WHEN left("data_inclusao"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("data_inclusao"::text, 4)::int - 1)::text, 4, '0') END || substr("data_inclusao"::text, 5, length("data_inclusao"::text) - 7) ELSE "data_inclusao"::text END AS "data_inclusao", CASE WHEN "data_atualizacao" < '0001-01-01' AND "data_atualizacao" <> '-infinity' THEN CASE WHEN left("data_atualizacao"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("data_atualizacao"::text, 4)::int - 1)::text, 4, '0') END || substr("data_atualizacao"::text, 5, length("data_atualizacao"::text) - 7) ELSE "data_atualizacao"::text END AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE (COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer)) AND NOT (CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END)) TO STDOUT (FORMAT csv);

-- commit
COMMIT;
