{#- dbt's graph, flags and modules. -#}
{%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | list -%}
select
  {{ models | length }} as model_count,
  '{{ flags.WHICH }}' as command,
  '{{ modules.datetime.date(2024, 2, 28) + modules.datetime.timedelta(days=1) }}' as next_day,
  '{{ modules.re.sub("[^a-z]+", "_", "Order Keys!") }}' as slug
