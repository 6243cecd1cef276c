{% macro cents_to_dollars(column, scale=2) -%}
  {{ cast('(' ~ column ~ ') / 100.0', 'decimal(12,' ~ scale ~ ')') }}
{%- endmacro %}
