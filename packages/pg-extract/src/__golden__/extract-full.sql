-- begin, on the table connection (with what follows, up to the export: one round trip)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- first query: fixes the snapshot
SELECT pg_snapshot_xmin(snap.s)::text AS xmin,
       pg_snapshot_xmax(snap.s)::text AS xmax,
       now()::text AS now,
       current_setting('server_version_num')::int AS version,
       pg_relation_size('"public"."vendas"'::regclass) / current_setting('block_size')::int AS pages
FROM (SELECT pg_current_snapshot() AS s) AS snap;

-- rows 1/1 (all, digested) -> vendas-*.csv, on the table connection
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" ORDER BY "id_vendas") TO STDOUT (FORMAT csv);

-- commit
COMMIT;
