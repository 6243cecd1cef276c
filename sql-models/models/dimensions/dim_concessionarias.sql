select concessionaria_id, concessionaria, cidade_id
from {{ ref('stg_concessionarias') }}
