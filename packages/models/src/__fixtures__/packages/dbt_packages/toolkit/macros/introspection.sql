{#- The columns of a relation, from the warehouse; nothing at parse time (execute is false). -#}
{% macro columns_except(relation, except=[]) -%}
  {%- if not execute -%}{{ return(['*']) }}{%- endif -%}
  {%- set names = [] -%}
  {%- for column in adapter.get_columns_in_relation(relation) -%}
    {%- if column.name | lower not in except | map('lower') | list -%}
      {%- do names.append(adapter.quote(column.name)) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(names) }}
{%- endmacro %}

{% macro distinct_values(relation, column) -%}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set result = run_query('select distinct ' ~ column ~ ' as value from ' ~ relation ~ ' order by 1') -%}
  {{ return(result.columns[0].values()) }}
{%- endmacro %}

{% macro row_count(relation) -%}
  {%- call statement('row_count', fetch_result=True) -%}
    select count(*) from {{ relation }}
  {%- endcall -%}
  {%- set loaded = load_result('row_count') -%}
  {{ return(loaded['data'][0][0] if loaded else 0) }}
{%- endmacro %}

{% macro commented(title) -%}
/* {{ title }} */
{{ caller() }}
{%- endmacro %}
