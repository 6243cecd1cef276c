-- Deliberately broken: the column does not exist, so the warehouse rejects it at run time.
select no_such_column from {{ ref('stg_orders') }}
