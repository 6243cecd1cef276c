{% test is_positive(model, column_name) %}
select * from {{ model }} where {{ column_name }} <= 0
{% endtest %}

{% test is_positive_length(model, column_name) %}
select * from {{ model }} where length({{ column_name }}) = 0
{% endtest %}
