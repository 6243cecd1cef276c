{% macro centavos(column) %}cast(round({{ column }} * 100) as bigint){% endmacro %}
