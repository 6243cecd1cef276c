/**
 * A chunk file: part of one extraction, written by the extractor and read by a warehouse.
 *
 * Format (the contract between `pg-extract` and every engine): Postgres CSV as `COPY … TO STDOUT (FORMAT csv)`
 * writes it — UTF-8, `,` delimiter, `"` quote and escape, no header, one record per `\n` (values may hold `\n`,
 * `\r` and `\r\n` inside quotes: readers must be told the record delimiter, never infer it). A NULL is an
 * *unquoted* empty field; an empty string is `""`; no text (`\N` included) stands for NULL. A file never begins
 * with a UTF-8 byte order mark (readers drop one there): a first field that would is written quoted. Columns
 * appear in the order of the load request's `columns`. Each logical type is written so that no engine has to guess:
 *
 * | kind | text in the file |
 * |---|---|
 * | smallint, integer, bigint, decimal | plain decimal digits (`-12.50`); decimal `NaN`/`Infinity`/`-Infinity` as those words |
 * | real, double | shortest exact text (`extra_float_digits = 1`); `NaN`, `Infinity`, `-Infinity` |
 * | boolean | `true` / `false` |
 * | text, char, enum, uuid | the value itself (char keeps its padding) |
 * | date | `YYYY-MM-DD`; before year 1 in ISO 8601's astronomical numbering: `-0043-03-15` is 44 BC, `0000-…` 1 BC; `infinity`, `-infinity` |
 * | timestamp | `YYYY-MM-DD HH:MM:SS[.ffffff]` (years as for date) |
 * | timestamptz | the instant in UTC: `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (years as for date) |
 * | time | `HH:MM:SS[.ffffff]` |
 * | interval | `<months> months <days> days <microseconds> microseconds` (the three parts Postgres keeps) |
 * | json | the JSON text exactly as stored (`jsonb` in its canonical form) |
 * | bytes | lowercase hex, no prefix |
 * | array | a JSON array of the elements, each rendered as above inside a JSON string or number, or as Postgres's `to_json` writes it (a `T` between date and time; `0044-03-15 BC` before year 1) |
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
