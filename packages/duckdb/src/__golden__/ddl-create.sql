CREATE SCHEMA IF NOT EXISTS "raw";

CREATE TABLE "raw"."vendas" (
  "id_vendas" INTEGER,
  "id_clientes" INTEGER,
  "valor_pago" DECIMAL(10,2),
  "taxa" DECIMAL(38,18),
  "data_venda" TIMESTAMP,
  "data_atualizacao" TIMESTAMP,
  "recibo" BLOB,
  "parcelas" DECIMAL(12,2)[],
  "etiquetas" VARCHAR[],
  "_sluice_synced_at" TIMESTAMPTZ,
  "_sluice_deleted_at" TIMESTAMPTZ
);

COMMENT ON TABLE "raw"."vendas" IS 'sluice:{"primaryKey":["id_vendas"]}';

COMMENT ON COLUMN "raw"."vendas"."id_vendas" IS 'sluice:{"type":{"kind":"integer"},"nullable":false}';

COMMENT ON COLUMN "raw"."vendas"."id_clientes" IS 'sluice:{"type":{"kind":"integer"},"nullable":false}';

COMMENT ON COLUMN "raw"."vendas"."valor_pago" IS 'sluice:{"type":{"kind":"decimal","precision":10,"scale":2},"nullable":false}';

COMMENT ON COLUMN "raw"."vendas"."taxa" IS 'sluice:{"type":{"kind":"decimal"},"nullable":true}';

COMMENT ON COLUMN "raw"."vendas"."data_venda" IS 'sluice:{"type":{"kind":"timestamp"},"nullable":true}';

COMMENT ON COLUMN "raw"."vendas"."data_atualizacao" IS 'sluice:{"type":{"kind":"timestamp"},"nullable":true}';

COMMENT ON COLUMN "raw"."vendas"."recibo" IS 'sluice:{"type":{"kind":"bytes"},"nullable":true}';

COMMENT ON COLUMN "raw"."vendas"."parcelas" IS 'sluice:{"type":{"kind":"array","element":{"kind":"decimal","precision":12,"scale":2}},"nullable":true}';

COMMENT ON COLUMN "raw"."vendas"."etiquetas" IS 'sluice:{"type":{"kind":"array","element":{"kind":"text"}},"nullable":true}';
