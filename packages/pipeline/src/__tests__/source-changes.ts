import type pg from 'pg';

/**
 * A day of changes made with plain SQL (independent of the generator): new customers (some never buying), new
 * sales, corrected sales, price and address updates, deleted sales and deleted customers, and a group of rows that
 * share one timestamp. Deterministic for a round number. The vehicle with the smallest id is left alone, so a test
 * can hold it in an open transaction.
 */
export async function changeNovaDrive(client: pg.Client, round: number): Promise<void> {
  const at = `timestamp '2031-01-01' + interval '${round} day'`;
  await client.query('BEGIN');
  try {
    // A test holding a row open in another transaction must fail fast here, not hang.
    await client.query(`SET LOCAL lock_timeout = '10s'`);
    await client.query(`SELECT setseed(${(round % 97) / 100})`);
    await client.query(
      `INSERT INTO clientes (cliente, endereco, id_concessionarias, data_inclusao)
       SELECT 'cliente novo ' || ${round} || '-' || g, '  Rua ' || g || ', ' || ${round} || '  ', 1 + g % 3, ${at}
         FROM generate_series(1, 12) g`,
    );
    await client.query(
      `INSERT INTO vendas (id_veiculos, id_concessionarias, id_vendedores, id_clientes, valor_pago, data_venda, data_inclusao)
       SELECT v.id_veiculos, s.id_concessionarias, s.id_vendedores, c.id_clientes, round(v.valor * 0.97, 2), ${at}, ${at}
         FROM (SELECT id_veiculos, valor FROM veiculos ORDER BY id_veiculos LIMIT 5) v
        CROSS JOIN (SELECT id_vendedores, id_concessionarias FROM vendedores ORDER BY id_vendedores LIMIT 2) s
        CROSS JOIN LATERAL (SELECT id_clientes FROM clientes ORDER BY id_clientes DESC LIMIT 1) c`,
    );
    // Many updated rows sharing exactly one timestamp.
    await client.query(
      `UPDATE vendas SET valor_pago = round(valor_pago * 0.999, 2), data_atualizacao = ${at} + interval '1 hour'
        WHERE id_vendas IN (SELECT id_vendas FROM vendas ORDER BY md5(id_vendas::text || ${round}) LIMIT 25)`,
    );
    await client.query(
      `UPDATE veiculos SET valor = valor + 100, data_atualizacao = ${at} + interval '2 hour'
        WHERE id_veiculos IN (SELECT id_veiculos FROM veiculos WHERE id_veiculos > (SELECT min(id_veiculos) FROM veiculos)
                               ORDER BY md5(id_veiculos::text || ${round}) LIMIT 3)`,
    );
    await client.query(
      `UPDATE clientes SET endereco = endereco || ' apto ' || ${round}, data_atualizacao = ${at} + interval '3 hour'
        WHERE id_clientes IN (SELECT id_clientes FROM clientes ORDER BY md5(id_clientes::text || ${round}) LIMIT 7)`,
    );
    await client.query(
      `DELETE FROM vendas WHERE id_vendas IN (SELECT id_vendas FROM vendas ORDER BY md5(id_vendas::text || 'd' || ${round}) LIMIT 9)`,
    );
    await client.query(
      `DELETE FROM clientes c WHERE c.id_clientes IN (
         SELECT id_clientes FROM clientes x WHERE NOT EXISTS (SELECT 1 FROM vendas v WHERE v.id_clientes = x.id_clientes)
          ORDER BY md5(id_clientes::text || ${round}) LIMIT 2)`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
