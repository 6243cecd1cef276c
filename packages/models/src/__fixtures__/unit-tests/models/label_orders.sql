-- The bug the failing unit test finds: 'open' orders are labelled OTHER.
select order_id, case when status = 'paid' then 'PAID' else 'OTHER' end as label
from {{ ref('stg_orders') }}
