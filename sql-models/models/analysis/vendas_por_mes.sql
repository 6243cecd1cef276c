-- Sales by calendar month of the sale.
select
  {{ date_trunc('month', 'f.data_venda') }} as mes,
  {{ metricas_de_vendas('f.valor_venda') }}
from {{ ref('fct_vendas') }} as f
group by {{ date_trunc('month', 'f.data_venda') }}
