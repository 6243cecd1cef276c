{{ config(materialised='table') }}
select ordered_at::date as day, count(*) as orders
from {{ ref('stg_ordrs') }}
where amount > {{ var('min_amount') }}
group by 1
