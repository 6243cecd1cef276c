select uf, total from {{ ref('vendas_por_estado') }} order by total desc
