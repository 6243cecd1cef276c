-- in the snapshot the batch was read in
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex;

-- the key range, to size the ranges
SELECT min("id_vendas")::text AS min, max("id_vendas")::text AS max, count(*)::text AS count FROM "public"."vendas";

-- count and sum of the keys per range
SELECT floor("id_vendas"::numeric / 1000)::bigint::text AS bucket, count(*)::text AS count, sum("id_vendas"::numeric)::text AS sum FROM "public"."vendas" GROUP BY 1;

-- the keys of the ranges that differ
SELECT "id_vendas"::text AS k FROM "public"."vendas" WHERE floor("id_vendas"::numeric / 1000)::bigint IN (0, 7);

-- the rows the warehouse lacks
COPY (SELECT "id_vendas" AS "id_vendas", "id_clientes" AS "id_clientes", "valor_pago" AS "valor_pago", CASE WHEN "data_venda" < '0001-01-01' AND "data_venda" <> '-infinity' THEN CASE WHEN left("data_venda"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("data_venda"::text, 4)::int - 1)::text, 4, '0') END || substr("data_venda"::text, 5, length("data_venda"::text) - 7) ELSE "data_venda"::text END AS "data_venda", CASE WHEN "data_inclusao" < '0001-01-01' AND "data_inclusao" <> '-infinity' THEN CASE WHEN left("data_inclusao"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("data_inclusao"::text, 4)::int - 1)::text, 4, '0') END || substr("data_inclusao"::text, 5, length("data_inclusao"::text) - 7) ELSE "data_inclusao"::text END AS "data_inclusao", CASE WHEN "data_atualizacao" < '0001-01-01' AND "data_atualizacao" <> '-infinity' THEN CASE WHEN left("data_atualizacao"::text, 4) = '0001' THEN '0000' ELSE '-' || lpad((left("data_atualizacao"::text, 4)::int - 1)::text, 4, '0') END || substr("data_atualizacao"::text, 5, length("data_atualizacao"::text) - 7) ELSE "data_atualizacao"::text END AS "data_atualizacao", encode("recibo", 'hex') AS "recibo" FROM "public"."vendas" WHERE "id_vendas" = ANY ('{7012,7013}'::bigint[])) TO STDOUT (FORMAT csv);

-- done
COMMIT;
