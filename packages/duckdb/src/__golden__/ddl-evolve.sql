ALTER TABLE "raw"."vendas" ALTER COLUMN "id_clientes" TYPE BIGINT;

COMMENT ON COLUMN "raw"."vendas"."id_clientes" IS 'sluice:{"type":{"kind":"bigint"},"nullable":false}';

ALTER TABLE "raw"."vendas" ALTER COLUMN "valor_pago" TYPE DECIMAL(12,2);

COMMENT ON COLUMN "raw"."vendas"."valor_pago" IS 'sluice:{"type":{"kind":"decimal","precision":12,"scale":2},"nullable":false}';

ALTER TABLE "raw"."vendas" ADD COLUMN "canal" VARCHAR;

COMMENT ON COLUMN "raw"."vendas"."canal" IS 'sluice:{"type":{"kind":"enum","name":"canal","values":["loja","web"]},"nullable":true}';
