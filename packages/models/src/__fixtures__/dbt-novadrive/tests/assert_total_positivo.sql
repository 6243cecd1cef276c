-- Every state with sales has a positive total.
select * from {{ ref('vendas_por_estado') }} where total <= 0
