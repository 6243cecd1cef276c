select * from {{ ref('cycle_c') }}
