{{ config(materialized='ephemeral') }}
-- Each vehicle's list-price history (from the snapshot), numbered oldest first and newest first.
select
  veiculo_id,
  valor_sugerido,
  valid_from,
  valid_to,
  row_number() over (partition by veiculo_id order by valid_from) as ordem,
  row_number() over (partition by veiculo_id order by valid_from desc) as ordem_inversa
from {{ ref('snp_veiculos_precos') }}
