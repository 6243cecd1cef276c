-- One row per vehicle of the catalog; the list price as decimal(10,2). Model names are trimmed, not INITCAP'd:
-- INITCAP would turn 'Sabiá GTS 1.4' into 'Sabiá Gts 1.4'.
-- The time of the last change falls back to the row's creation, never to the current time: the old design used
-- now(), so two builds of the same data disagreed.
select
  id_veiculos as veiculo_id,
  trim(nome) as nome,
  trim(tipo) as tipo,
  {{ cast('valor', 'decimal(10,2)') }} as valor_sugerido,
  data_inclusao,
  coalesce(data_atualizacao, data_inclusao) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'veiculos') }}
