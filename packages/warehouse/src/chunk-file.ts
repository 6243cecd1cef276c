/**
 * A chunk file: part of one extraction, written by the extractor and read by a warehouse.
 *
 * Format (the contract between `pg-extract` and every engine): Postgres CSV as `COPY … TO STDOUT (FORMAT csv)`
 * writes it — UTF-8, `,` delimiter, `"` quote and escape, no header, one row per record (values may hold
 * newlines inside quotes). A NULL is an *unquoted* empty field; an empty string is `""`. Columns appear in the
 * order of the load request's `columns`. Each logical type is written so that no engine has to guess:
 *
 * | kind | text in the file |
 * |---|---|
 * | smallint, integer, bigint, decimal | plain decimal digits (`-12.50`); decimal `NaN`/`Infinity`/`-Infinity` as those words |
 * | real, double | shortest exact text (`extra_float_digits = 1`); `NaN`, `Infinity`, `-Infinity` |
 * | boolean | `true` / `false` |
 * | text, char, enum, uuid | the value itself (char keeps its padding) |
 * | date | `YYYY-MM-DD` (years 1–9999 only; others are an error at extraction) |
 * | timestamp | `YYYY-MM-DD HH:MM:SS[.ffffff]` |
 * | timestamptz | the instant in UTC: `YYYY-MM-DD HH:MM:SS[.ffffff]+00` |
 * | time | `HH:MM:SS[.ffffff]` |
 * | interval | `<months> months <days> days <microseconds> microseconds` (the three parts Postgres keeps) |
 * | json | the JSON text exactly as stored (`jsonb` in its canonical form) |
 * | bytes | lowercase hex, no prefix |
 * | array | a JSON array of the elements, each element rendered as above inside a JSON string or number |
 */
export interface ChunkFile {
  /** Absolute path on the local disk. */
  readonly path: string;
  /** Number of records in the file. */
  readonly rows: number;
  /** Size on disk. */
  readonly bytes: number;
  /** `csv`, or `csv.gz` when gzip-compressed. */
  readonly format: 'csv' | 'csv.gz';
}
