/**
 * The dbt release Sluice follows: its artifact schemas (manifest v12 and run results v6 came with dbt 1.8) and the
 * `dbt_version` templates see.
 */
export const DBT_ARTIFACT_VERSION = '1.8.0';
