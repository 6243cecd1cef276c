import type pg from 'pg';
import { describeEndpoint, ExtractError } from './extract-error.js';

/**
 * Open a connection to the source Postgres. An unreachable server becomes `SOURCE_UNREACHABLE` naming host and port
 * (never the password) and what to check.
 */
export async function connectSource(url: string, applicationName = 'sluice'): Promise<pg.Client> {
  // pg is imported when a connection is made: the commands that never reach the source (`ls`, `compile`) skip it.
  const { default: driver } = await import('pg');
  const client = new driver.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    // TCP keepalives: a long COPY or a kept connection is not dropped as idle by a NAT or firewall on the way, and a
    // peer that vanished is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
  });
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ExtractError(
      'SOURCE_UNREACHABLE',
      `cannot connect to the source Postgres at ${describeEndpoint(url)}: ${redact(reason, url)}. ` +
        'Check that the server is running and the URL in sluice.yml (source.url) is right',
      { cause: error },
    );
  }
}

function redact(message: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.replaceAll(password, '***') : message;
  } catch {
    return message;
  }
}
