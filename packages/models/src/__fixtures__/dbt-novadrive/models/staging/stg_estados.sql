select uf, nome, regiao
from {{ ref('estados') }}
