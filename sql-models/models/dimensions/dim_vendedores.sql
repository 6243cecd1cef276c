select vendedor_id, vendedor, concessionaria_id
from {{ ref('stg_vendedores') }}
