-- Each vehicle with today's list price. The price a sale was made at comes from the price history snapshot.
select veiculo_id, nome, tipo, valor_sugerido, data_atualizacao
from {{ ref('stg_veiculos') }}
