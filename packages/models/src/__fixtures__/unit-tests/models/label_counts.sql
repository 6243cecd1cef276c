select label, count(*) as orders from {{ ref('label_orders') }} group by label
