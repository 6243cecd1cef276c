{#- A package macro that dispatches per engine, a root override found first, a local package's macro, and the
    columns of a relation read from the warehouse at compile time. -#}
select
  {{ toolkit.surrogate(['order_id', 'customer_id']) }} as order_key,
  {{ toolkit.label("status") }} as status_label,
  {{ helpers.shout("status") }} as status_upper,
  {{ toolkit.engine_name() }} as engine,
  {{ toolkit.columns_except(ref('orders'), except=['amount']) | join(', ') }}
from {{ ref('orders') }}
