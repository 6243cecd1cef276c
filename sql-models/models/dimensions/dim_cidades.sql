select cidade_id, cidade, estado_id
from {{ ref('stg_cidades') }}
