select order_id, amount * {{ tax_rate() }} as tax
from {{ ref('stg_orders') }}
