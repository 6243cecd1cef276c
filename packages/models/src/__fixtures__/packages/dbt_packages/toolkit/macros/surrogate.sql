{% macro surrogate(columns) -%}
  {{ return(adapter.dispatch('surrogate', 'toolkit')(columns)) }}
{%- endmacro %}

{% macro default__surrogate(columns) -%}
  {%- set parts = [] -%}
  {%- for c in columns -%}
    {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ dbt.type_string() ~ "), '')") -%}
  {%- endfor -%}
  {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro label(column) -%}
  {{ return(adapter.dispatch('label', 'toolkit')(column)) }}
{%- endmacro %}

{% macro default__label(column) -%}
  '{{ var('toolkit_label_prefix') }}:' || {{ column }}
{%- endmacro %}

{#- One implementation per engine, picked by target.type: what dbt packages do for SQL that differs. -#}
{% macro engine_name() -%}
  {{ return(adapter.dispatch('engine_name', 'toolkit')()) }}
{%- endmacro %}

{% macro default__engine_name() -%}'other'{%- endmacro %}
{% macro duckdb__engine_name() -%}'duckdb'{%- endmacro %}
{% macro snowflake__engine_name() -%}'snowflake'{%- endmacro %}
