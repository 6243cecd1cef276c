select
  id_estados as estado_id,
  upper(trim(estado)) as estado,
  upper(trim(sigla)) as sigla,
  data_inclusao,
  coalesce(data_atualizacao, data_inclusao) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'estados') }}
