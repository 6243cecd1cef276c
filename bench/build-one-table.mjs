// build-one-table: one changed `vendas` row (its price moves a cent), then a change-aware `sluice build` of
// NovaDrive against a full `sluice build --all` in the same process; DuckDB and the Snowflake emulator. `built`
// lists what was rebuilt (DuckDB; `snowflake.built` the same there).
import { withClient } from './_harness.mjs';
import { benchBuildAware } from './_build-aware.mjs';

await benchBuildAware('build-one-table', (url, round) =>
  withClient(url, (client) =>
    client.query(
      `UPDATE vendas SET valor_pago = valor_pago + 0.01, data_atualizacao = timestamp '2030-01-01' + interval '${round} day' WHERE id_vendas = (SELECT min(id_vendas) FROM vendas)`,
    ),
  ),
);
