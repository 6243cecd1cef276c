select
  id as customer_id,
  {{ initcap('name') }} as customer_name,
  lower(email) as email,
  created_at
from {{ source('raw', 'customers') }}
