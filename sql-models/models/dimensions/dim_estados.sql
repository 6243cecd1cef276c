select estado_id, estado, sigla
from {{ ref('stg_estados') }}
