{% snapshot precos_snapshot %}
{{ config(unique_key='codigo', strategy='check', check_cols=['preco']) }}
select codigo, modelo, preco from {{ ref('tabela_precos') }}
{% endsnapshot %}
