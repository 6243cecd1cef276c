{{
  config(
    materialized='incremental',
    unique_key='venda_id',
    on_schema_change='append_new_columns',
    post_hook="delete from {{ this }} where venda_id not in (select venda_id from {{ ref('stg_vendas') }})"
  )
}}
-- One row per sale, merged on venda_id so new and corrected sales both arrive, with the list price valid when the
-- sale was made. Sales whose customer, seller, dealership or vehicle is missing are kept (no inner joins): the
-- relationships tests report them instead of them vanishing. Sales deleted at the source are removed (post_hook).
with vendas as (
  select *
  from {{ ref('stg_vendas') }}
  {% if is_incremental() %}
  -- Every sale Sluice wrote since the last build, inserted or corrected. (The old design filtered on
  -- venda_id > max(venda_id), so a corrected sale never arrived.) Each load stamps its rows with one time, later
  -- than the previous load's, so rows of a load not yet merged are always newer than the newest merged row.
  where _sluice_synced_at > (select max(_sluice_synced_at) from {{ this }})
     or (select max(_sluice_synced_at) from {{ this }}) is null
  {% endif %}
),

precos as (
  select * from {{ ref('int_precos_veiculos') }}
)

select
  v.venda_id,
  v.veiculo_id,
  v.concessionaria_id,
  v.vendedor_id,
  v.cliente_id,
  v.valor_venda,
  v.data_venda,
  -- The price valid at the sale; for a sale older than the history, the earliest known price; after the history
  -- ended (the vehicle left the catalog), the last known one.
  coalesce(
    vigente.valor_sugerido,
    case when v.data_venda < primeiro.dbt_valid_from then primeiro.valor_sugerido else ultimo.valor_sugerido end
  ) as valor_sugerido_na_venda,
  v.data_atualizacao,
  v._sluice_synced_at
from vendas as v
left join precos as vigente
  on vigente.veiculo_id = v.veiculo_id
  and v.data_venda >= vigente.dbt_valid_from
  and (vigente.dbt_valid_to is null or v.data_venda < vigente.dbt_valid_to)
left join precos as primeiro
  on primeiro.veiculo_id = v.veiculo_id and primeiro.ordem = 1
left join precos as ultimo
  on ultimo.veiculo_id = v.veiculo_id and ultimo.ordem_inversa = 1
