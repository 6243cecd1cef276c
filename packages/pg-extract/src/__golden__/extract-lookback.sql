-- begin, on the table connection (with what follows, up to the export: one round trip)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

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
       (SELECT count(*) FROM unnest(ARRAY['4294967398', '4294967401']::xid8[]) AS o(x)
            WHERE coalesce(CASE WHEN o.x < pg_snapshot_xmax(snap.s) THEN pg_xact_status(o.x) END, 'unknown')
                  NOT IN ('aborted', 'in progress'))::int AS committed_open,
       ('2024-03-01 09:00:00+00'::timestamptz <= now() - interval '86400000 milliseconds') AS sweep_due,
       (SELECT json_build_object('xid', o.x::text, 'open', coalesce(pg_xact_status(o.x) = 'in progress', false),
               'pid', a.pid, 'database', a.datname, 'since', a.xact_start::text)
          FROM (SELECT '4294967396'::xid8 AS x) AS o
          LEFT JOIN pg_stat_activity AS a ON a.backend_xid = xid(o.x)
         WHERE o.x < pg_snapshot_xmax(snap.s)
         LIMIT 1) AS held_by
FROM (SELECT pg_current_snapshot() AS s) AS snap;

-- auto: does an index serve the cursor? (counts here)
EXPLAIN (FORMAT JSON) SELECT (COALESCE("data_atualizacao", "data_inclusao"))::text AS c0, ("id_vendas")::text AS c1 FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) ORDER BY COALESCE("data_atualizacao", "data_inclusao") DESC, "id_vendas" DESC LIMIT 1;

-- begin, on each helper
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- upper bound, on a helper, in the shared snapshot
SET LOCAL max_parallel_workers_per_gather = 0; SELECT (COALESCE("data_atualizacao", "data_inclusao"))::text AS c0, ("id_vendas")::text AS c1 FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) ORDER BY COALESCE("data_atualizacao", "data_inclusao") DESC, "id_vendas" DESC LIMIT 1;

-- rows 1/2 (lookback, every row past the cursor) -> vendas-*.csv, on the table connection
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer)) TO STDOUT (FORMAT csv);

-- rows 2/2 (lookback) -> vendas-behind-*.csv, on a helper, in the shared snapshot
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", "data_venda" AS "data_venda", "data_inclusao" AS "data_inclusao", "data_atualizacao" AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= (CASE WHEN '2024-03-01 10:00:00'::timestamp without time zone > (('2024-03-01 10:30:00+00'::timestamptz AT TIME ZONE 'UTC') + interval '14 hours')::timestamp without time zone THEN (('2024-03-01 10:30:00+00'::timestamptz AT TIME ZONE 'UTC') - interval '12 hours')::timestamp without time zone ELSE '2024-03-01 10:00:00'::timestamp without time zone END - interval '3600000 milliseconds')::timestamp without time zone AND COALESCE("data_atualizacao", "data_inclusao") <= '2024-03-01 10:00:00'::timestamp without time zone AND CASE WHEN COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) THEN false ELSE CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END END) TO STDOUT (FORMAT csv);

-- commit
COMMIT;
