-- Sales by salesperson, with their dealership.
select
  f.vendedor_id,
  vd.vendedor,
  c.concessionaria,
  {{ metricas_de_vendas('f.valor_venda') }}
from {{ ref('fct_vendas') }} as f
left join {{ ref('dim_vendedores') }} as vd on vd.vendedor_id = f.vendedor_id
left join {{ ref('dim_concessionarias') }} as c on c.concessionaria_id = vd.concessionaria_id
group by f.vendedor_id, vd.vendedor, c.concessionaria
