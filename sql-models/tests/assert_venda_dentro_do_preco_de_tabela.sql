-- The price rule: a sale is paid between {{ var('preco_minimo_fator') }} of the list price valid when it was made
-- and the full price. The price is read from the price history itself (not from fct_vendas' own column), with the
-- earliest known price for sales older than the history. (The old design compared each sale with today's price.)
with precos as (
  select * from {{ ref('int_precos_veiculos') }}
),

vendas as (
  select
    f.venda_id,
    f.veiculo_id,
    f.data_venda,
    f.valor_venda,
    coalesce(
      vigente.valor_sugerido,
      case when f.data_venda < primeiro.dbt_valid_from then primeiro.valor_sugerido else ultimo.valor_sugerido end
    ) as preco_de_tabela
  from {{ ref('fct_vendas') }} as f
  left join precos as vigente
    on vigente.veiculo_id = f.veiculo_id
    and f.data_venda >= vigente.dbt_valid_from
    and (vigente.dbt_valid_to is null or f.data_venda < vigente.dbt_valid_to)
  left join precos as primeiro on primeiro.veiculo_id = f.veiculo_id and primeiro.ordem = 1
  left join precos as ultimo on ultimo.veiculo_id = f.veiculo_id and ultimo.ordem_inversa = 1
)

select *
from vendas
where preco_de_tabela is null
   or valor_venda < preco_de_tabela * {{ var('preco_minimo_fator') }}
   or valor_venda > preco_de_tabela
