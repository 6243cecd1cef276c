{% test positive(model, column_name) %}
  {{ return(adapter.dispatch('test_positive', 'toolkit')(model, column_name)) }}
{% endtest %}

{% macro default__test_positive(model, column_name) %}
select * from {{ model }} where {{ column_name }} <= 0
{% endmacro %}

{#- Sets its own fail_calc at parse time, as dbt_utils' equal_rowcount does: the failures are the rows over. -#}
{% test at_most(model, column_name, max_value) %}
{{ config(fail_calc='coalesce(sum(over_by), 0)') }}
select {{ column_name }} - {{ max_value }} as over_by from {{ model }} where {{ column_name }} > {{ max_value }}
{% endtest %}
