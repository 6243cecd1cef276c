// build-noop: a `sluice build` of NovaDrive (ingest → seeds, models, snapshots, tests) in which no source row
// changed since the run before, change-aware, against a full `sluice build --all` in the same process; DuckDB, and
// the Snowflake emulator whose rules table (WAREHOUSE_RULES) counts the statements that would resume a warehouse.
// Top-level figures are DuckDB's (the default engine) and `warehouse_statements` Snowflake's; `snowflake` has its own.
// Target (issue 17): models_built 0, tests_run 0, warehouse_statements 0.
import { benchBuildAware } from './_build-aware.mjs';

await benchBuildAware('build-noop', async () => {});
