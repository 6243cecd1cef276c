-- begin, on the table connection (with what follows, up to the export: one round trip)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- first query: fixes the snapshot
SELECT pg_snapshot_xmin(snap.s)::text AS xmin,
       pg_snapshot_xmax(snap.s)::text AS xmax,
       now()::text AS now,
       current_setting('server_version_num')::int AS version,
       pg_relation_size('"public"."vendas"'::regclass) / current_setting('block_size')::int AS pages
FROM (SELECT pg_current_snapshot() AS s) AS snap;

-- upper bound, on the table connection
SET LOCAL max_parallel_workers_per_gather = 0; SELECT (COALESCE("data_atualizacao", "data_inclusao"))::text AS c0, ("id_vendas")::text AS c1 FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) ORDER BY COALESCE("data_atualizacao", "data_inclusao") DESC, "id_vendas" DESC LIMIT 1;

-- rows 1/1 (window) -> vendas-*.csv, on the table connection
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer)) TO STDOUT (FORMAT csv);

-- commit
COMMIT;
