/** Stable codes for data-test failures that are mistakes in the test's definition, not failing data. */
export type DataTestErrorCode =
  /** The generic test name is not one of the built-in tests. */
  | 'UNKNOWN_GENERIC_TEST'
  /** A generic test is missing an argument, has an unknown one, or one of the wrong type. */
  | 'INVALID_TEST_ARGUMENT'
  /** A `warn_if` / `error_if` expression is not a comparison such as `>10` or `!= 0`. */
  | 'INVALID_THRESHOLD';

/** The one error class of `@sluice/data-tests`. `test` names the test concerned, when known. */
export class DataTestError extends Error {
  override readonly name = 'DataTestError';
  readonly code: DataTestErrorCode;
  readonly test: string | undefined;

  constructor(code: DataTestErrorCode, message: string, options: { test?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.test = options.test;
  }
}
