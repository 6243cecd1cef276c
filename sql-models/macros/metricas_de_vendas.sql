{#- The three measures every analysis table gives: how many sales, their total and their average. -#}
{% macro metricas_de_vendas(valor='f.valor_venda') -%}
count(*) as quantidade_vendas,
  sum({{ valor }}) as total_vendas,
  round(avg({{ valor }}), 2) as media_vendas
{%- endmacro %}
