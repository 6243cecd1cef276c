-- Reads the broken model, so it is skipped.
select * from {{ ref('broken_model') }}
