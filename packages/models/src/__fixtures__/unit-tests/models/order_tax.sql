select order_id, amount * {{ tax_rate() }} as tax, '{{ env_var("UNIT_SHOP_TAX_LABEL", "vat") }}' as tax_label
from {{ ref('stg_orders') }}
