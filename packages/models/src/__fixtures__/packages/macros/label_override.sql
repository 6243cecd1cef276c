{#- Found before toolkit's own default__label: dispatch: searches orders_app first. -#}
{% macro default__label(column) -%}
  '{{ var('label_prefix', 'root') }}:' || {{ column }}
{%- endmacro %}
