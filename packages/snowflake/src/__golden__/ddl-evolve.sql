ALTER TABLE "RAW"."VENDAS" ALTER COLUMN "ID_CLIENTES" SET DATA TYPE NUMBER(19,0);

ALTER TABLE "RAW"."VENDAS" ALTER COLUMN "VALOR_PAGO" SET DATA TYPE NUMBER(12,2);

ALTER TABLE "RAW"."VENDAS" ALTER COLUMN "Observação" SET DATA TYPE VARCHAR(134217728);

ALTER TABLE "RAW"."VENDAS" ADD COLUMN IF NOT EXISTS "CANAL" VARCHAR COMMENT 'sluice:{"type":{"kind":"enum","name":"canal","values":["loja","web''s"]},"nullable":true}';

ALTER TABLE "RAW"."VENDAS" ALTER COLUMN "ID_CLIENTES" COMMENT 'sluice:{"type":{"kind":"bigint"},"nullable":false}',
  COLUMN "VALOR_PAGO" COMMENT 'sluice:{"type":{"kind":"decimal","precision":12,"scale":2},"nullable":false}',
  COLUMN "Observação" COMMENT 'sluice:{"type":{"kind":"text"},"nullable":true}';
