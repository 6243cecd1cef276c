select codigo, modelo, preco, vigente_desde
from {{ ref('tabela_precos') }}
