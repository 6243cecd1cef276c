-- Downstream of order_amounts, whose error-severity test fails: skipped in build mode.
select count(*) as orders, sum(amount) as total from {{ ref('order_amounts') }}
