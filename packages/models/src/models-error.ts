/** Stable codes for the errors `@sluice/models` throws (load problems are returned as `ProjectIssue`s instead). */
export type ModelsErrorCode =
  /** `runProject` was given a project that has load errors: fix them first (`loadProject(...).errors`). */
  | 'PROJECT_HAS_ERRORS'
  /** A selector (`--select` / `--exclude`) cannot be parsed or uses an unknown method. */
  | 'INVALID_SELECTOR'
  /** A node could not be rendered to SQL (template error, unknown ref at run time). */
  | 'COMPILE_FAILED'
  /** An incremental model's columns changed and `on_schema_change` is `fail`. */
  | 'SCHEMA_CHANGED'
  /** A snapshot or incremental model is configured in a way that cannot run (e.g. no `unique_key`). */
  | 'INVALID_MATERIALIZATION'
  /** A seed's CSV cannot be loaded (ragged rows, an unclosed quote, a header without names). */
  | 'INVALID_SEED'
  /** `--state DIR`: no manifest.json there, not JSON, or a field the state selectors or `--defer` need is missing. */
  | 'INVALID_STATE';

/** The one error class of `@sluice/models`. `node` is the node's unique id, `file`/`line` where it is defined. */
export class ModelsError extends Error {
  override readonly name = 'ModelsError';
  readonly code: ModelsErrorCode;
  readonly node: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(
    code: ModelsErrorCode,
    message: string,
    options: { node?: string; file?: string; line?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.node = options.node;
    this.file = options.file;
    this.line = options.line;
  }
}
