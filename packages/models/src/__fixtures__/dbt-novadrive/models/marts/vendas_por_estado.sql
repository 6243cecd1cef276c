select
    e.uf,
    e.nome,
    e.regiao,
    count(*) as vendas,
    sum(v.valor) as total,
    '{{ var("moeda") }}' as moeda
from {{ ref('stg_vendas') }} as v
join {{ ref('stg_estados') }} as e on e.uf = v.uf
group by e.uf, e.nome, e.regiao
