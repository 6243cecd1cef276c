select 1 as x
{% if %}
where true
{% endif %}
