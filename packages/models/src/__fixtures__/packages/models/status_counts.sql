{#- run_query at compile time (one column per status), statement + load_result, and a {% call %} block. -#}
{%- set statuses = toolkit.distinct_values(ref('orders'), 'status') -%}
{%- set total = toolkit.row_count(ref('orders')) -%}
{% call toolkit.commented('one column per status') %}
select
  {% for s in statuses -%}
  sum(case when status = '{{ s }}' then 1 else 0 end) as {{ s }}_orders,
  {% endfor -%}
  {{ total }} as all_orders,
  '{{ execute }}' as executed
from {{ ref('orders') }}
{% endcall %}
