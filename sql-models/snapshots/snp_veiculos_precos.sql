{% snapshot snp_veiculos_precos %}
{{
  config(
    unique_key='veiculo_id',
    strategy='check',
    check_cols=['valor_sugerido'],
    updated_at='data_atualizacao'
  )
}}
-- The list price of each vehicle over time (SCD type 2: dbt_valid_from / dbt_valid_to). A new version only when the price
-- changes, dated by the vehicle's last change, never by when the snapshot ran: the same data gives the same history.
select veiculo_id, valor_sugerido, data_atualizacao
from {{ ref('stg_veiculos') }}
{% endsnapshot %}
