import { writeFile } from 'node:fs/promises';
import type { ChunkFile, LogicalType } from '@sluice/warehouse';
import type pg from 'pg';

/*
 * Chunk files made by a real Postgres, for tests: `COPY (SELECT …) TO STDOUT (FORMAT csv)`, with each column
 * rendered as `@sluice/warehouse` chunk-file.ts specifies.
 */

/** Session settings under which Postgres writes every type the way the chunk format wants it. */
export const CHUNK_SESSION_SETTINGS = [
  `SET DateStyle = 'ISO, YMD'`,
  `SET TimeZone = 'UTC'`,
  `SET IntervalStyle = 'postgres'`,
  `SET extra_float_digits = 1`,
];

/**
 * The SQL expression that renders column `column` (an SQL expression) of logical type `type` as chunk-file text.
 * Run it under {@link CHUNK_SESSION_SETTINGS}.
 *
 * @example postgresChunkExpression('"payload"', { kind: 'bytes' }) // `encode("payload", 'hex')`
 */
export function postgresChunkExpression(column: string, type: LogicalType): string {
  switch (type.kind) {
    case 'date':
    case 'timestamp':
    case 'timestamptz': {
      // The instant in UTC, `+00`, under TimeZone = 'UTC'; before year 1 in astronomical numbering (`-0043-03-15`).
      const text = `${column}::text`;
      const year = `left(${text}, 4)`;
      const astronomical = `CASE WHEN ${year} = '0001' THEN '0000' ELSE '-' || lpad((${year}::int - 1)::text, 4, '0') END`;
      return `CASE WHEN ${column} < '0001-01-01' AND ${column} <> '-infinity' THEN ${astronomical} || substr(${text}, 5, length(${text}) - 7) ELSE ${text} END`;
    }
    case 'boolean':
    case 'time':
    case 'json':
    case 'enum':
    case 'uuid':
      return `${column}::text`;
    case 'bytes':
      return `encode(${column}, 'hex')`;
    case 'interval':
      // The three parts Postgres keeps. The time part is what is left once the day fields are cut off
      // (interval subtraction works field by field), so nothing is normalized on the way.
      return (
        `CASE WHEN ${column} IS NULL THEN NULL ELSE format('%s months %s days %s microseconds', ` +
        `(extract(year from ${column}) * 12 + extract(month from ${column}))::bigint, ` +
        `extract(day from ${column})::bigint, ` +
        `(extract(epoch from (${column} - date_trunc('day', ${column}))) * 1000000)::bigint) END`
      );
    case 'array': {
      const element = type.element;
      // Integers go in as JSON numbers; every other element as a JSON string of its chunk text, so decimals
      // keep every digit whatever the reader's JSON parser does with numbers.
      const integer = ['smallint', 'integer', 'bigint'].includes(element.kind);
      const rendered = integer ? '"element"' : `(${postgresChunkExpression('"element"', element)})::text`;
      return (
        `CASE WHEN ${column} IS NULL THEN NULL ELSE coalesce((SELECT json_agg(${rendered} ORDER BY "ordinal") ` +
        `FROM unnest(${column}) WITH ORDINALITY AS "items"("element", "ordinal")), '[]'::json)::text END`
      );
    }
    default:
      // Integers and decimals as plain digits (NaN/Infinity as words); floats shortest-exact; text as is.
      return column;
  }
}

/**
 * Write the rows of `selectSql` to `filePath` as Postgres writes `COPY … TO STDOUT (FORMAT csv)`.
 * The client's session settings are changed to {@link CHUNK_SESSION_SETTINGS}.
 */
export async function copyToChunkFile(client: pg.Client, selectSql: string, filePath: string): Promise<ChunkFile> {
  for (const setting of CHUNK_SESSION_SETTINGS) await client.query(setting);
  const copy = new CopyOut(`COPY (${selectSql}) TO STDOUT (FORMAT csv)`);
  client.query(copy as unknown as pg.QueryConfig);
  const { data, rows } = await copy.done;
  await writeFile(filePath, data);
  return { path: filePath, rows, bytes: data.length, format: 'csv' };
}

/**
 * `COPY … TO STDOUT` through node-postgres's submittable interface (the one pg-cursor uses): the server's
 * CopyData messages are collected until the command completes.
 */
class CopyOut {
  readonly done: Promise<{ data: Buffer; rows: number }>;
  readonly #text: string;
  readonly #chunks: Buffer[] = [];
  #rows = 0;
  #error: Error | undefined;
  #settle!: (error: Error | undefined) => void;

  constructor(text: string) {
    this.#text = text;
    this.done = new Promise((resolve, reject) => {
      this.#settle = (error) =>
        error ? reject(error) : resolve({ data: Buffer.concat(this.#chunks), rows: this.#rows });
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.#text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    // pg reuses its read buffer: copy the chunk before keeping it.
    this.#chunks.push(Buffer.from(message.chunk));
  }

  handleCommandComplete(message: { text: string }): void {
    this.#rows = Number(message.text.split(' ')[1] ?? 0);
  }

  handleError(error: Error): void {
    this.#error = error;
  }

  handleReadyForQuery(): void {
    this.#settle(this.#error);
  }

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('COPY FROM is not supported here');
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}
