-- the source table is misspelled
select *
from {{ source('raw', 'custmers') }}
