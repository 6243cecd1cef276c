select
  id_concessionarias as concessionaria_id,
  trim(concessionaria) as concessionaria,
  id_cidades as cidade_id,
  data_inclusao,
  coalesce(data_atualizacao, data_inclusao) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'concessionarias') }}
