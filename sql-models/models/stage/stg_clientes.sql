-- Every customer, whether or not they have bought yet: the old design loaded only customers with a sale, lost
-- the ones who bought later, and its fact table's inner joins then dropped their sales without a word.
select
  id_clientes as cliente_id,
  {{ initcap('trim(cliente)') }} as cliente,
  trim(endereco) as endereco,
  id_concessionarias as concessionaria_id,
  data_inclusao,
  coalesce(data_atualizacao, data_inclusao) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'clientes') }}
