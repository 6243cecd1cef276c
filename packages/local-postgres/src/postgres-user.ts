import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The user and group a process runs as. */
export interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The `postgres` OS user, created (with its group) when missing. Postgres refuses to run as root, so a server
 * started by root runs as this user.
 */
export async function ensurePostgresUser(name = 'postgres'): Promise<OsUser> {
  const found = await lookUpUser(name);
  if (found) return found;
  try {
    await run('groupadd', ['--force', name]);
    await run('useradd', ['--gid', name, '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  } catch (error) {
    throw new Error(
      `Postgres refuses to run as root, and the "${name}" OS user it would run as could not be created ` +
        `(${error instanceof Error ? error.message.split('\n')[0] : String(error)}): create it, or run as another user`,
      { cause: error },
    );
  }
  const created = await lookUpUser(name);
  if (!created) throw new Error(`the "${name}" OS user was created but cannot be found`);
  return created;
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}
