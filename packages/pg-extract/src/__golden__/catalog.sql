-- the server, the role and the database
SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
              current_user::text AS role, current_database()::text AS database;

-- the tables of a schema
-- $1 = "public"
SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1;

-- one table: kind, size, columns, types, primary key
-- $1 = "public", $2 = "vendas"
SELECT c.oid::int AS oid, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples, c.relpages::int AS relpages, col.*
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN LATERAL (
         SELECT a.attnum,
                a.attname AS name,
                format_type(a.atttypid, a.atttypmod) AS pg_type,
                NOT a.attnotnull AS nullable,
                a.attidentity::text AS identity, a.attgenerated::text AS generated,
                (SELECT pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%' FROM pg_attrdef d
                  WHERE d.adrelid = c.oid AND d.adnum = a.attnum) AS serial,
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
                bt.typname::text AS typname, bt.typtype::text AS typtype,
                et.typname::text AS elem_typname, et.typtype::text AS elem_typtype,
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = bt.oid) AS labels,
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = et.oid) AS elem_labels,
                array_position(
                  (SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), a.attnum
                ) AS pk_position
           FROM pg_attribute a
           JOIN pg_type t ON t.oid = a.atttypid
           JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
           LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       ) col ON true
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      ORDER BY col.attnum;

-- may the role read it?
-- $1 = "public", $2 = "vendas", $3 = ["id_vendas","valor_pago"]
SELECT has_schema_privilege(n.oid, 'USAGE')
            AND (has_table_privilege(c.oid, 'SELECT')
                 OR coalesce((SELECT bool_and(has_column_privilege(c.oid, col, 'SELECT')) FROM unnest($3::text[]) AS col), false))
            AS readable
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2;

-- init: small enough to reload whole?
SELECT count(*)::text AS n FROM (SELECT 1 FROM "public"."vendas" LIMIT 10001) AS t;

-- doctor: does an index serve the cursor?
EXPLAIN (FORMAT JSON) SELECT (COALESCE("data_atualizacao", "data_inclusao"))::text AS c0, ("id_vendas")::text AS c1 FROM "public"."vendas" WHERE (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) ORDER BY COALESCE("data_atualizacao", "data_inclusao") DESC, "id_vendas" DESC LIMIT 1;

-- doctor: the index it suggests (shown, never sent)
CREATE INDEX CONCURRENTLY ON "public"."vendas" ((COALESCE("data_atualizacao", "data_inclusao")), "id_vendas");

-- init: every relation of a schema, partitions and their root, privileges, size, Postgres's counters
-- $1 = "public"
SELECT c.relname AS name, c.relkind::text AS kind, c.relispartition AS is_partition,
            CASE WHEN c.relispartition THEN rn.nspname::text END AS root_schema,
            CASE WHEN c.relispartition THEN r.relname::text END AS root_name,
            has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS readable,
            c.reltuples::float8 AS reltuples,
            s.bytes::text AS bytes, s.inserted::text AS inserted, s.updated::text AS updated,
            s.deleted::text AS deleted, s.live::text AS live, s.modified::text AS modified_since_analyze,
            (SELECT greatest(o.last_analyze, o.last_autoanalyze) FROM pg_stat_user_tables o WHERE o.relid = c.oid)::text
              AS last_analyzed,
            (SELECT d.stats_reset::text FROM pg_stat_database d WHERE d.datname = current_database()) AS stats_reset
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
       LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
       LEFT JOIN LATERAL (
         SELECT sum(pg_relation_size(t.relid))::bigint AS bytes,
                sum(st.n_tup_ins)::bigint AS inserted, sum(st.n_tup_upd)::bigint AS updated,
                sum(st.n_tup_del)::bigint AS deleted, sum(st.n_live_tup)::bigint AS live,
                sum(st.n_mod_since_analyze)::bigint AS modified
           FROM (SELECT c.oid AS relid UNION SELECT p.relid FROM pg_partition_tree(c.oid) AS p) AS t
           LEFT JOIN pg_stat_user_tables st ON st.relid = t.relid
       ) s ON true
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      ORDER BY 1;

-- init: what ANALYZE found about each column
-- $1 = "public", $2 = "vendas", $3 = false
SELECT attname::text AS name, null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct
       FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND inherited = $3;

-- init: the same for a partitioned table, over its partitions
-- $1 = "public", $2 = "eventos", $3 = true
SELECT attname::text AS name, null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct
       FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND inherited = $3;

-- init: a sample of a table never analyzed (NULLs and distinct values of the cursor candidates)
SELECT count(*)::text AS rows, count("data_atualizacao")::text AS n0, count(DISTINCT "data_atualizacao")::text AS d0, count("data_inclusao")::text AS n1, count(DISTINCT "data_inclusao")::text AS d1, count("id_vendas")::text AS n2, count(DISTINCT "id_vendas")::text AS d2
       FROM (SELECT "data_atualizacao", "data_inclusao", "id_vendas" FROM "public"."vendas"
             TABLESAMPLE SYSTEM (0.833333) REPEATABLE (0) LIMIT 10000) AS sample;

-- init: the sample of a table whose names need quoting
SELECT count(*)::text AS rows, count("Última Atualização")::text AS n0, count(DISTINCT "Última Atualização")::text AS d0, count("Item ID")::text AS n1, count(DISTINCT "Item ID")::text AS d1
       FROM (SELECT "Última Atualização", "Item ID" FROM "Loja Sul"."Order ""Items"""
             TABLESAMPLE SYSTEM (100) REPEATABLE (0) LIMIT 10000) AS sample;

-- init: counting rows of a table whose names need quoting
SELECT count(*)::text AS n FROM (SELECT 1 FROM "Loja Sul"."Order ""Items""" LIMIT 10001) AS t;
