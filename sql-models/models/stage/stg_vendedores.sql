select
  id_vendedores as vendedor_id,
  {{ initcap('trim(nome)') }} as vendedor,
  id_concessionarias as concessionaria_id,
  data_inclusao,
  coalesce(data_atualizacao, data_inclusao) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'vendedores') }}
