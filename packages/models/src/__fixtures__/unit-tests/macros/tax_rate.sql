{% macro tax_rate() %}0.2{% endmacro %}
