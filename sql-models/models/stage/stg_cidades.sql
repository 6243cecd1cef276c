select
  id_cidades as cidade_id,
  {{ initcap('trim(cidade)') }} as cidade,
  id_estados as estado_id,
  data_inclusao,
  coalesce(data_atualizacao, data_inclusao) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'cidades') }}
