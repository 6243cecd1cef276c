import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type { ChunkSink } from './chunk-sink.js';

/**
 * Stream one `COPY … TO STDOUT` statement into a chunk sink; resolves once the sink has finished (every record
 * written and the last file closed). `report` is called every 250 ms while it streams, and once at the end.
 */
export async function copyInto(
  client: pg.Client,
  sink: ChunkSink,
  sql: string,
  report?: (() => void) | undefined,
): Promise<void> {
  const { to: copyTo } = await import('pg-copy-streams'); // loaded with the first copy, as pg is with the connection
  const source = client.query(copyTo(sql));
  const timer = report ? setInterval(report, 250) : undefined;
  try {
    await pipeline(source, sink);
  } finally {
    clearInterval(timer);
    report?.();
  }
}
