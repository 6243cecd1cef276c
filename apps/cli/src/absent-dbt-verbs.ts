/**
 * dbt verbs Sluice does not have, each with one line saying so and what to do instead (exit 2). `retry` is not
 * here: it is Sluice's own verb work (the state workflow).
 */
export const ABSENT_DBT_VERBS: Readonly<Record<string, string>> = {
  deps: "`sluice deps`: dbt's deps is not part of Sluice; install packages with dbt deps (or copy them into dbt_packages/), Sluice reads dbt_packages/ as dbt leaves it",
  'run-operation':
    "`sluice run-operation`: dbt's run-operation is not part of Sluice; run the macro with dbt run-operation, or call it from on-run-start/on-run-end or a model's pre-hook, which Sluice runs",
  show: "`sluice show`: dbt's show is not part of Sluice; sluice compile --select <model> prints the model's SQL, to run in the warehouse's own client",
  parse:
    "`sluice parse`: dbt's parse is not part of Sluice; sluice compile (or sluice ls) reads and checks the whole project and says what is wrong, with file and line",
  clone: "`sluice clone`: dbt's clone is not part of Sluice; build the nodes with sluice build --select …",
  environment: "`sluice environment`: dbt's environment is a dbt Cloud command, not part of Sluice",
  invocation: "`sluice invocation`: dbt's invocation is a dbt Cloud command, not part of Sluice",
};
