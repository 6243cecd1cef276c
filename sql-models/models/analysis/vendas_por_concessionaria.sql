-- Sales by dealership, with its city and state.
select
  f.concessionaria_id,
  c.concessionaria,
  ci.cidade,
  e.sigla as estado,
  {{ metricas_de_vendas('f.valor_venda') }}
from {{ ref('fct_vendas') }} as f
left join {{ ref('dim_concessionarias') }} as c on c.concessionaria_id = f.concessionaria_id
left join {{ ref('dim_cidades') }} as ci on ci.cidade_id = c.cidade_id
left join {{ ref('dim_estados') }} as e on e.estado_id = ci.estado_id
group by f.concessionaria_id, c.concessionaria, ci.cidade, e.sigla
