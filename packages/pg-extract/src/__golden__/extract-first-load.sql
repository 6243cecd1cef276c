-- begin, on the table connection (with what follows, up to the export: one round trip)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- first query: fixes the snapshot
SELECT pg_snapshot_xmin(snap.s)::text AS xmin,
       pg_snapshot_xmax(snap.s)::text AS xmax,
       now()::text AS now,
       current_setting('server_version_num')::int AS version,
       pg_relation_size('"public"."vendas"'::regclass) / current_setting('block_size')::int AS pages,
       (WITH writers AS MATERIALIZED (
          SELECT t.transactionid AS xid FROM pg_locks AS r
            JOIN pg_locks AS t ON t.virtualtransaction = r.virtualtransaction AND t.locktype = 'transactionid'
           WHERE r.locktype = 'relation' AND r.granted
             AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND r.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
             AND r.relation IN (SELECT '"public"."vendas"'::regclass UNION SELECT relid FROM pg_partition_tree('"public"."vendas"'::regclass))),
        open AS (
          SELECT pg_snapshot_xip(snap.s) AS x
          UNION ALL
          SELECT (pg_snapshot_xmax(snap.s)::text::numeric + g)::text::xid8
            FROM generate_series(0, least(age(xid(pg_snapshot_xmax(snap.s))), 100000) - 1) AS g)
       SELECT CASE WHEN count(*) > 1000 THEN NULL ELSE coalesce(array_agg(o.x::text), '{}') END
         FROM open AS o
        WHERE CASE coalesce(pg_xact_status(o.x), 'committed')
                WHEN 'aborted' THEN false
                WHEN 'committed' THEN true
                ELSE xid(o.x) IN (SELECT xid FROM writers) END) AS open_xids,
       age(xid(pg_snapshot_xmax(snap.s))) AS assigned_past_xmax,
       0 AS committed_open,
       true AS sweep_due
FROM (SELECT pg_current_snapshot() AS s) AS snap;

-- export the snapshot for the helpers
SELECT pg_export_snapshot() AS id;

-- begin, on each helper
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '<exported id>'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- upper bound, on the table connection
SET LOCAL max_parallel_workers_per_gather = 0; SELECT m0.v::text AS c0, m1.v::text AS c1 FROM (SELECT max(COALESCE("data_atualizacao", "data_inclusao")) AS v FROM "public"."vendas") AS m0 CROSS JOIN LATERAL (SELECT max("id_vendas") AS v FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") = m0.v) AS m1 WHERE m0.v IS NOT NULL;

-- rows 1/3 (all) -> vendas-r1-*.csv, on a helper, in the shared snapshot
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE ctid < '(4000,0)'::tid) TO STDOUT (FORMAT csv);

-- rows 2/3 (all) -> vendas-r2-*.csv, on a helper, in the shared snapshot
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE ctid >= '(4000,0)'::tid AND ctid < '(8000,0)'::tid) TO STDOUT (FORMAT csv);

-- rows 3/3 (all) -> vendas-r3-*.csv, on a helper, in the shared snapshot
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE ctid >= '(8000,0)'::tid) TO STDOUT (FORMAT csv);

-- commit
COMMIT;
