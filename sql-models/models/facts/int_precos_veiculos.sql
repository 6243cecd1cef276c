{{ config(materialized='ephemeral') }}
-- Each vehicle's list-price history (from the snapshot), numbered oldest first and newest first.
select
  veiculo_id,
  valor_sugerido,
  dbt_valid_from,
  dbt_valid_to,
  row_number() over (partition by veiculo_id order by dbt_valid_from) as ordem,
  row_number() over (partition by veiculo_id order by dbt_valid_from desc) as ordem_inversa
from {{ ref('snp_veiculos_precos') }}
