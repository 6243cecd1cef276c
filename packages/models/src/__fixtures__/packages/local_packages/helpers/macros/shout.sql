{% macro shout(text) -%}
  upper({{ text }})
{%- endmacro %}
