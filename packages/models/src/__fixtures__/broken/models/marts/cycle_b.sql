select * from {{ ref('cycle_a') }}
