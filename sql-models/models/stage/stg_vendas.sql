select
  id_vendas as venda_id,
  id_veiculos as veiculo_id,
  id_concessionarias as concessionaria_id,
  id_vendedores as vendedor_id,
  id_clientes as cliente_id,
  {{ cast('valor_pago', 'decimal(10,2)') }} as valor_venda,
  data_venda,
  data_inclusao,
  coalesce(data_atualizacao, data_venda) as data_atualizacao,
  _sluice_synced_at
from {{ source('novadrive', 'vendas') }}
