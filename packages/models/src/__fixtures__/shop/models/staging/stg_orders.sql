select
  id as order_id,
  customer_id,
  {{ cents_to_dollars('amount_cents') }} as amount,
  status,
  ordered_at,
  updated_at
from {{ source('raw', 'orders') }}
