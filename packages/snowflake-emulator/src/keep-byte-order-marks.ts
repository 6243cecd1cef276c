import { createRequire } from 'node:module';

let kept = false;

/**
 * Make @duckdb/node-api (1.5.6) read a VARCHAR that begins with U+FEFF as it is. It decodes strings with a default
 * `TextDecoder`, which drops a byte order mark at the start of its input — so every value beginning with U+FEFF
 * came back one character short, though DuckDB holds it exactly. Its decoder is a module export read at each
 * call: it is replaced, once, by one that keeps the mark. Idempotent.
 */
export function keepByteOrderMarks(): void {
  if (kept) return;
  const accessors = createRequire(import.meta.url)('@duckdb/node-api/lib/vectors/dataAccessors.js') as {
    textDecoder: { decode(input: Uint8Array): string };
  };
  accessors.textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  kept = true;
}
