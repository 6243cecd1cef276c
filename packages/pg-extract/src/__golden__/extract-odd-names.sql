-- begin, on the table connection (with what follows, up to the export: one round trip)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- first query: fixes the snapshot
SELECT pg_snapshot_xmin(snap.s)::text AS xmin,
       pg_snapshot_xmax(snap.s)::text AS xmax,
       now()::text AS now,
       current_setting('server_version_num')::int AS version,
       pg_relation_size('"Loja Sul"."Order ""Items"""'::regclass) / current_setting('block_size')::int AS pages,
       (WITH writers AS MATERIALIZED (
          SELECT t.transactionid AS xid FROM pg_locks AS r
            JOIN pg_locks AS t ON t.virtualtransaction = r.virtualtransaction AND t.locktype = 'transactionid'
           WHERE r.locktype = 'relation' AND r.granted
             AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND r.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
             AND r.relation IN (SELECT '"Loja Sul"."Order ""Items"""'::regclass UNION SELECT relid FROM pg_partition_tree('"Loja Sul"."Order ""Items"""'::regclass))),
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

-- begin, on each helper
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- upper bound, on a helper, in the shared snapshot
SET LOCAL max_parallel_workers_per_gather = 0; SELECT (COALESCE("Última Atualização", "criado_em"))::text AS c0, ("Item ID")::text AS c1, count(*) OVER () AS window_rows, count(*) FILTER (WHERE NOT (CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END)) OVER () AS unexplained FROM "Loja Sul"."Order ""Items""" WHERE COALESCE("Última Atualização", "criado_em") >= '2024-03-01 10:00:00'::timestamp with time zone AND (COALESCE("Última Atualização", "criado_em"), "Item ID") > ('2024-03-01 10:00:00'::timestamp with time zone, '981'::uuid) ORDER BY COALESCE("Última Atualização", "criado_em") DESC, "Item ID" DESC LIMIT 1;

-- rows 1/1 (sweep) -> Order__Items_-*.csv, on the table connection
COPY (SELECT "Item ID" AS "Item ID", "order" AS "order", encode(sha256(convert_to('s''alt' || "user"::text, 'UTF8')), 'hex') AS "user", "preço ""bruto""" AS "preço ""bruto""", "Última Atualização" AS "Última Atualização", "criado_em" AS "criado_em" FROM "Loja Sul"."Order ""Items""" WHERE CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END) TO STDOUT (FORMAT csv);

-- rows the bound query found unexplained -> Order__Items_-unexplained-*.csv
COPY (SELECT "Item ID" AS "Item ID", "order" AS "order", encode(sha256(convert_to('s''alt' || "user"::text, 'UTF8')), 'hex') AS "user", "preço ""bruto""" AS "preço ""bruto""", CASE WHEN "Última Atualização" < '0001-01-01' AND "Última Atualização" <> '-infinity' THEN CASE WHEN left("Última Atualização"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("Última Atualização"::text, 4)::int - 1)::text, 4, '0') END || substr("Última Atualização"::text, 5, length("Última Atualização"::text) - 7) ELSE "Última Atualização"::text END AS "Última Atualização", CASE WHEN "criado_em" < '0001-01-01' AND "criado_em" <> '-infinity' THEN CASE WHEN left("criado_em"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("criado_em"::text, 4)::int - 1)::text, 4, '0') END || substr("criado_em"::text, 5, length("criado_em"::text) - 7) ELSE "criado_em"::text END AS "criado_em" FROM "Loja Sul"."Order ""Items""" WHERE (COALESCE("Última Atualização", "criado_em") >= '2024-03-01 10:00:00'::timestamp with time zone AND (COALESCE("Última Atualização", "criado_em"), "Item ID") > ('2024-03-01 10:00:00'::timestamp with time zone, '981'::uuid)) AND NOT (CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END)) TO STDOUT (FORMAT csv);

-- commit
COMMIT;
