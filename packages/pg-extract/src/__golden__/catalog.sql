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
EXPLAIN (FORMAT JSON) SELECT (COALESCE("data_atualizacao", "data_inclusao"))::text AS c0, ("id_vendas")::text AS c1 FROM "public"."vendas" WHERE COALESCE("data_atualizacao", "data_inclusao") >= '2024-03-01 10:00:00'::timestamp without time zone AND (COALESCE("data_atualizacao", "data_inclusao"), "id_vendas") > ('2024-03-01 10:00:00'::timestamp without time zone, '981'::integer) ORDER BY COALESCE("data_atualizacao", "data_inclusao") DESC, "id_vendas" DESC LIMIT 1;

-- doctor: the index it suggests (shown, never sent)
CREATE INDEX CONCURRENTLY ON "public"."vendas" ((COALESCE("data_atualizacao", "data_inclusao")), "id_vendas");

-- doctor: transactions holding back the xmin horizon (any database), open over 5 minutes
-- $1 = 300
SELECT * FROM (
       SELECT a.pid, a.datname::text AS database, a.usename::text AS role, a.xact_start::text AS since,
              a.state::text AS state, a.backend_xid::text AS xid,
              extract(epoch FROM now() - a.xact_start)::float8 AS seconds
         FROM pg_stat_activity AS a
        WHERE a.backend_xid IS NOT NULL AND a.xact_start < now() - make_interval(secs => $1)
       UNION ALL
       SELECT NULL, p.database::text, p.owner::text, p.prepared::text, 'prepared ' || p.gid, p.transaction::text,
              extract(epoch FROM now() - p.prepared)::float8
         FROM pg_prepared_xacts AS p
        WHERE p.prepared < now() - make_interval(secs => $1)) AS open
      ORDER BY seconds DESC LIMIT 10;
