/** What to do about a run's error, by its code: the next step for the person reading the run page. */
const REMEDIES: Record<string, string> = {
  SOURCE_UNREACHABLE:
    'The source Postgres did not answer. Check that it is up and reachable from the daemon (host, port, firewall), and that source.url in sluice.yml (and its password variable) is right; the next run loads everything missed.',
  SOURCE_QUERY_FAILED:
    'A read on the source failed. The message names the table and the reason; fix the source (permissions, a statement timeout, a dropped column) and run again.',
  TABLE_NOT_FOUND:
    'A table in sluice.yml is not in the source (renamed or dropped?). Fix its name under tables: in sluice.yml, or remove it.',
  COLUMN_NOT_FOUND:
    'A column sluice.yml names (a cursor, include or hash column) is not in the source table any more. Fix the table under tables: in sluice.yml, or restore the column.',
  INVALID_TABLE_CONFIG:
    'A table in sluice.yml cannot be loaded as configured (the message lists every problem). Run `sluice doctor` and fix the table under tables:.',
  INCOMPATIBLE_SCHEMA_CHANGE:
    'A source column changed type in a way the warehouse copy cannot follow. Reload the table with `sluice run --full-refresh --table <name>` (after checking the models that read it).',
  UNSUPPORTED_VALUE:
    'A value cannot be loaded exactly (the message says which). Exclude the column (exclude: in sluice.yml) or fix the value at the source.',
  TABLES_FAILED:
    'Some tables failed: each is listed with its reason. The other tables were loaded and committed; fix the listed ones and run again (only they are retried).',
  BUILD_FAILED:
    'A model or a data test failed: each is listed. Fix the model SQL, or the data the test caught, then run again (`sluice build --select <model>+` rebuilds one and what depends on it).',
  WAREHOUSE_UNAVAILABLE:
    'The warehouse could not be opened or reached. DuckDB: another process may hold the file (stop it). Snowflake: check the account, user, key or password, and the warehouse.',
  WAREHOUSE_STATEMENT_FAILED:
    'The warehouse refused a statement (the message quotes its error and the table or model). Fix what it names and run again.',
  STATE_UNAVAILABLE:
    'The state store (watermarks and run history) could not be reached. Check the state Postgres (SLUICE_STATE_URL) or the state directory; runs resume from the watermarks once it is back.',
  LOCK_HELD:
    'Another run held the run lock. Wait for it to finish; if it is stuck, stop that process (the message names it).',
  INTERRUPTED:
    'The run was stopped (a shutdown, a cancel, or its run_timeout). What it committed stays committed; the next run carries on from the watermarks. If it timed out, raise schedule.run_timeout or find the slow step on this page.',
  CANCELLED: 'The run was cancelled. What it committed stays committed; the next run carries on from the watermarks.',
  ABANDONED:
    'The process running it died (killed, out of memory, machine lost) and another process recorded it abandoned. What it committed stays committed; the next run carries on from the watermarks. Look at the host for why it died (OOM killer, `docker ps -a`).',
  SLOT_SKIPPED:
    'The slot did not run (another run held the lock, the daemon was stopping, or catch_up is skip). Nothing to fix unless it keeps happening: then look for the long-running run.',
  UNREADABLE_RUN_RECORD:
    'This run record was written by a newer Sluice, or was changed by hand. Upgrade this daemon, or delete the record.',
  RUN_FAILED: 'The run failed without a more precise code: read the message and the log below.',
};

/** The remedy for an error code, or undefined when there is none more useful than the message itself. */
export function remedyFor(code: string): string | undefined {
  return REMEDIES[code];
}
