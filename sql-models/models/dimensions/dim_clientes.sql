-- All customers (not only those with a sale), so every sale finds its customer.
select cliente_id, cliente, endereco, concessionaria_id
from {{ ref('stg_clientes') }}
