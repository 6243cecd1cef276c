select
  c.customer_id,
  c.customer_name,
  count(o.order_id) as paid_orders,
  coalesce(sum(o.amount), 0) as lifetime_value
from {{ ref('stg_customers') }} as c
left join {{ ref('int_paid_orders') }} as o on o.customer_id = c.customer_id
group by c.customer_id, c.customer_name
