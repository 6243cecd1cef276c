-- Sales by vehicle.
select
  f.veiculo_id,
  v.nome,
  v.tipo,
  {{ metricas_de_vendas('f.valor_venda') }}
from {{ ref('fct_vendas') }} as f
left join {{ ref('dim_veiculos') }} as v on v.veiculo_id = f.veiculo_id
group by f.veiculo_id, v.nome, v.tipo
