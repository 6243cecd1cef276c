/** A template that failed to parse or render, with the 1-based line (and column) when known. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Raised by template functions for a mistake the author must fix (unknown ref, missing var). */
export class TemplateUsageError extends Error {
  override readonly name = 'TemplateUsageError';
}
