CREATE SCHEMA IF NOT EXISTS "RAW";

CREATE TABLE IF NOT EXISTS "RAW"."VENDAS" (
  "ID_VENDAS" NUMBER(10,0) COMMENT 'sluice:{"type":{"kind":"integer"},"nullable":false}',
  "ID_CLIENTES" NUMBER(10,0) COMMENT 'sluice:{"type":{"kind":"integer"},"nullable":false}',
  "VALOR_PAGO" NUMBER(10,2) COMMENT 'sluice:{"type":{"kind":"decimal","precision":10,"scale":2},"nullable":false}',
  "TAXA" NUMBER(38,18) COMMENT 'sluice:{"type":{"kind":"decimal"},"nullable":true}',
  "FATOR" FLOAT COMMENT 'sluice:{"type":{"kind":"real"},"nullable":true}',
  "DATA_VENDA" TIMESTAMP_NTZ(6) COMMENT 'sluice:{"type":{"kind":"timestamp"},"nullable":true}',
  "DATA_ATUALIZACAO" TIMESTAMP_NTZ(6) COMMENT 'sluice:{"type":{"kind":"timestamp"},"nullable":true}',
  "CONFIRMADA_EM" TIMESTAMP_TZ(6) COMMENT 'sluice:{"type":{"kind":"timestamptz"},"nullable":true}',
  "DIA" DATE COMMENT 'sluice:{"type":{"kind":"date"},"nullable":true}',
  "RECIBO" BINARY(67108864) COMMENT 'sluice:{"type":{"kind":"bytes"},"nullable":true}',
  "ETIQUETAS" ARRAY COMMENT 'sluice:{"type":{"kind":"array","element":{"kind":"text"}},"nullable":true}',
  "PAGO" ARRAY COMMENT 'sluice:{"type":{"kind":"array","element":{"kind":"boolean"}},"nullable":true}',
  "Observação" VARCHAR(255) COMMENT 'sluice:{"type":{"kind":"text","maxLength":255},"nullable":true}',
  "_SLUICE_SYNCED_AT" TIMESTAMP_TZ(6),
  "_SLUICE_DELETED_AT" TIMESTAMP_TZ(6)
)
COMMENT = 'sluice:{"primaryKey":["id_vendas"]}';
