-- Singular test: orders dated after the as_of var.
select * from {{ ref('stg_orders') }} where ordered_at > {{ var('as_of') }}
