import type { Warehouse } from '@sluice/warehouse';

/**
 * A small NovaDrive dataset in the shape ingestion leaves it: schema `raw`, the seven source tables with the
 * source's names and columns (veiculos keeps its odd column order), and `_sluice_synced_at` on every row.
 * 5 states, 10 cities, 8 dealerships, 20 salespeople, 60 customers (5 without a sale), 12 vehicles, 300 sales
 * (2024-03-01 to 2024-04-20) paid 95–100% of the list price. Vehicle 2 was last changed on 2024-04-15, after some
 * of its sales: those are older than its price history.
 */
export async function seedNovaDrive(warehouse: Warehouse): Promise<void> {
  const synced = "timestamptz '2024-05-01 00:00:00+00'";
  await warehouse.execute(`
    create schema if not exists raw;

    create table raw.estados (id_estados integer, estado varchar, sigla varchar, data_inclusao timestamp, data_atualizacao timestamp, _sluice_synced_at timestamptz);
    insert into raw.estados values
      (1, 'São Paulo', 'sp', '2023-01-01', null, ${synced}),
      (2, 'Rio de Janeiro', 'RJ', '2023-01-01', '2023-02-01', ${synced}),
      (3, ' Minas Gerais ', 'MG', '2023-01-01', null, ${synced}),
      (4, 'Bahia', 'BA', '2023-01-01', null, ${synced}),
      (5, 'Rio Grande do Sul', 'RS', '2023-01-01', null, ${synced});

    create table raw.cidades (id_cidades integer, cidade varchar, id_estados integer, data_inclusao timestamp, data_atualizacao timestamp, _sluice_synced_at timestamptz);
    insert into raw.cidades
    select i, ['são paulo', 'campinas', 'rio de janeiro', 'niterói', 'belo horizonte', 'uberlândia', 'salvador', 'feira de santana', 'porto alegre', 'caxias do sul'][i],
      (i - 1) // 2 + 1, timestamp '2023-01-02', null, ${synced}
    from range(1, 11) as t(i);

    create table raw.concessionarias (id_concessionarias integer, concessionaria varchar, id_cidades integer, data_inclusao timestamp, data_atualizacao timestamp, _sluice_synced_at timestamptz);
    insert into raw.concessionarias
    select i, 'NovaDrive Loja ' || i || '   ', (i % 10) + 1, timestamp '2023-02-01', null, ${synced} from range(1, 9) as t(i);

    create table raw.vendedores (id_vendedores integer, nome varchar, id_concessionarias integer, data_inclusao timestamp, data_atualizacao timestamp, _sluice_synced_at timestamptz);
    insert into raw.vendedores
    select i, 'vendedora número ' || i, (i - 1) % 8 + 1, timestamp '2023-03-01', null, ${synced} from range(1, 21) as t(i);

    create table raw.clientes (id_clientes integer, cliente varchar, endereco varchar, id_concessionarias integer, data_inclusao timestamp, data_atualizacao timestamp, _sluice_synced_at timestamptz);
    insert into raw.clientes
    select i, 'CLIENTE ' || i || ' da silva', '  Rua ' || i || ', Centro  ', (i - 1) % 8 + 1, timestamp '2023-04-01', null, ${synced} from range(1, 61) as t(i);

    create table raw.veiculos (id_veiculos integer, nome varchar, tipo varchar, valor decimal(10,2), data_atualizacao timestamp, data_inclusao timestamp, _sluice_synced_at timestamptz);
    insert into raw.veiculos values
      (1, 'Brisa 1.0', 'Hatch Compacto', 54990.00, null, '2023-05-01', ${synced}),
      (2, 'Tucano 1.6', 'Hatch', 89990.00, '2024-04-15', '2023-05-01', ${synced}),
      (3, 'Ipê 1.6', 'Sedan Compacto', 99990.00, '2023-06-01', '2023-05-01', ${synced}),
      (4, 'Cerrado 2.0', 'Sedan', 139990.00, null, '2023-05-01', ${synced}),
      (5, 'Imperial GT', 'Sedan Premium', 189990.00, null, '2023-05-01', ${synced}),
      (6, 'Pampa 1.0 Turbo', 'SUV Compacta', 119990.00, null, '2023-05-01', ${synced}),
      (7, 'Ouriço HEV', 'SUV Compacta Híbrida', 164990.00, null, '2023-05-01', ${synced}),
      (8, 'Serra 2.0 Turbo', 'SUV Média', 174990.00, null, '2023-05-01', ${synced}),
      (9, 'Onça Hybrid', 'SUV Premium Híbrida', 199990.00, null, '2023-05-01', ${synced}),
      (10, 'Capivara 1.3', 'Picape Compacta', 104990.00, null, '2023-05-01', ${synced}),
      (11, 'Jacaré EV', 'Elétrico', 159990.00, null, '2023-05-01', ${synced}),
      (12, 'Família 1.8', 'Minivan', 129990.00, null, '2023-05-01', ${synced});

    create table raw.vendas (id_vendas integer, id_veiculos integer, id_concessionarias integer, id_vendedores integer, id_clientes integer,
      valor_pago decimal(10,2), data_venda timestamp, data_inclusao timestamp, data_atualizacao timestamp, _sluice_synced_at timestamptz);
    insert into raw.vendas
    select s.i, s.veiculo, (s.i % 8) + 1, (s.i % 20) + 1, (s.i % 55) + 1,
      round(v.valor * (0.95 + (s.i % 6) * 0.01), 2),
      timestamp '2024-03-01' + to_hours(cast(s.i * 4 as bigint)),
      timestamp '2024-03-01' + to_hours(cast(s.i * 4 as bigint)),
      null, ${synced}
    from (select i, (i % 12) + 1 as veiculo from range(1, 301) as t(i)) as s
    join raw.veiculos as v on v.id_veiculos = s.veiculo;
  `);
}
