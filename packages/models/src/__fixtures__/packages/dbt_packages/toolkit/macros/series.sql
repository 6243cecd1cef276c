{#- Unqualified: a package's macros see each other (dbt's local namespace). -#}
{% macro series(n) -%}
select generated_number as day_number from ({{ dbt.generate_series(n) }}) as numbers
{%- endmacro %}
