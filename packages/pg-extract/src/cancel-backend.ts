import net from 'node:net';
import path from 'node:path';
import type pg from 'pg';

/** The CancelRequest code of the Postgres protocol (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Ask the server to cancel whatever the connection's backend is doing — the protocol's CancelRequest, what libpq's
 * `PQcancel` and psql's Ctrl-C send: a separate socket carrying the backend's pid and secret key, no SQL and no
 * authentication. Needed because ending a connection does not stop a backend that is waiting (on a lock, say): it
 * notices that its client went away only when it next writes to it. Resolves true once the server has taken the
 * request (it closes the socket), false when the connection never started or the server could not be reached
 * within `timeoutMs`. Never rejects.
 */
export function cancelBackend(client: pg.Client, timeoutMs = 5000): Promise<boolean> {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (typeof processID !== 'number' || typeof secretKey !== 'number') return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const socket = client.host?.startsWith('/')
      ? net.connect(path.join(client.host, `.s.PGSQL.${client.port}`))
      : net.connect(client.port, client.host || 'localhost');
    let sent = false;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => {
      const request = Buffer.alloc(16);
      request.writeInt32BE(16, 0);
      request.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      request.writeInt32BE(processID, 8);
      request.writeInt32BE(secretKey, 12);
      socket.write(request, () => {
        sent = true;
      });
    });
    // The server closes the socket once it has handled the request.
    socket.on('close', () => finish(sent));
    socket.on('error', () => finish(false));
  });
}
