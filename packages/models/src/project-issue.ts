/** What kind of problem a project has. Each is found at load time, before anything runs. */
export type ProjectIssueCode =
  /** No `sluice.yml` or `dbt_project.yml` in the folder. */
  | 'NO_PROJECT_FILE'
  /** A file could not be read. */
  | 'UNREADABLE_FILE'
  /** A YAML file does not parse. */
  | 'YAML_SYNTAX'
  /** A config or property key that does not exist (a misspelling): the closest valid key is suggested. */
  | 'UNKNOWN_KEY'
  /** A folder named in the `models:`/`snapshots:`/`data_tests:` config that does not exist. */
  | 'UNKNOWN_FOLDER'
  /** A config or property value of the wrong type or out of its set. */
  | 'INVALID_VALUE'
  /** A template does not parse or fails to render (Jinja syntax, an undefined name). */
  | 'TEMPLATE_ERROR'
  /** `ref()` names no model or snapshot. */
  | 'UNKNOWN_REF'
  /** `ref()` names a disabled model. */
  | 'DISABLED_REF'
  /** `source()` names no declared source table. */
  | 'UNKNOWN_SOURCE'
  /** `var()` without a default names no variable. */
  | 'UNKNOWN_VAR'
  /** `env_var()` without a default names an unset environment variable. */
  | 'MISSING_ENV_VAR'
  /** Two nodes with one name (models and snapshots share one namespace; so do tests). */
  | 'DUPLICATE_NAME'
  /** Models that depend on each other in a circle. `cycle` holds the path. */
  | 'CYCLE'
  /** A property file describes a model, snapshot or column that does not exist. */
  | 'UNKNOWN_NODE'
  /** A data test that is not a built-in or custom generic test, or whose arguments are wrong. */
  | 'INVALID_TEST'
  /** A dbt feature this runner does not implement (the message says which). */
  | 'UNSUPPORTED'
  /** A setting written differently in `sluice.yml` and `dbt_project.yml` (the message names both places). */
  | 'CONFLICTING_SETTING';

/** One problem found while loading a project. `file` is relative to the project folder; `line` is 1-based. */
export interface ProjectIssue {
  readonly code: ProjectIssueCode;
  /** `warning`s do not stop a run (e.g. an unsupported dbt_project.yml key that is ignored). */
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** The closest existing names, nearest first, when the problem is a name that does not exist. */
  readonly suggestions?: readonly string[];
  /** For problems in a YAML file: the path of the key concerned (`['models', 'stage', '+materialzed']`). */
  readonly keyPath?: readonly (string | number)[];
  /** For `CYCLE`: the node names around the cycle, the first repeated at the end. */
  readonly cycle?: readonly string[];
}

/**
 * One line for people: `models/facts/fct_vendas.sql:12: ref('stg_venda') names no model; did you mean 'stg_vendas'?`
 */
export function formatIssue(issue: ProjectIssue): string {
  const where = issue.file === undefined ? '' : `${issue.file}${issue.line === undefined ? '' : `:${issue.line}`}: `;
  return `${where}${issue.message}`;
}

/** ` Did you mean 'a'?` / ` Did you mean 'a' or 'b'?` / `` (nothing close). */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  const quoted = suggestions.map((s) => `'${s}'`);
  return ` Did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}?`;
}
