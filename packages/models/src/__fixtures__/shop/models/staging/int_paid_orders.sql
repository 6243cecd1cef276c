{{ config(materialized='ephemeral') }}
-- only paid orders count towards a customer's value
select * from {{ ref('stg_orders') }} where status = 'paid'
