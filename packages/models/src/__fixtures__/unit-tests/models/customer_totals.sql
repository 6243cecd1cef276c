select
  c.id as customer_id,
  c.name,
  count(o.order_id) as orders,
  coalesce(sum(case when o.status = 'paid' then o.amount end), 0) as paid_amount
from {{ ref('raw_customers') }} as c
left join {{ ref('stg_orders') }} as o on o.customer_id = c.id
group by c.id, c.name
