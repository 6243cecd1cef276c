select
    id_venda,
    id_cliente,
    uf,
    valor,
    {{ centavos('valor') }} as valor_centavos,
    data_venda,
    coalesce(pago, false) as pago
from {{ ref('vendas') }}
where coalesce(valor, 0) >= {{ var('venda_minima') }}
