/** The CLI's exit codes (documented in the README). */
export const EXIT = {
  /** Everything asked for succeeded. */
  ok: 0,
  /** The run failed: a table, a model, or an error-severity test. */
  failed: 1,
  /** Bad usage or configuration; nothing was run. */
  usage: 2,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** An error the CLI prints as-is and turns into an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.exitCode = exitCode;
  }
}
