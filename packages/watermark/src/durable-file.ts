import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from './state-error.js';

/**
 * Replace a file's content atomically and durably: write a temp file in the same directory, fsync it, rename it
 * over the target, fsync the directory. A reader (or a crash) sees the old content or the new, never a mix.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = tempPath(file);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw fileFailure(error, `write ${file}`, file);
  }
  await fsyncDirectory(path.dirname(file));
}

/**
 * Create a file with this content only if no file has that name: true when created, false when one existed.
 * The content is complete before the name appears (temp file + fsync + hard link), so nobody reads half of it.
 */
export async function createFileExclusive(file: string, content: string): Promise<boolean> {
  const temp = tempPath(file);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, file); // atomic: fails with EEXIST when the name is taken
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    }
  } catch (error) {
    throw fileFailure(error, `create ${file}`, file);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
  await fsyncDirectory(path.dirname(file));
  return true;
}

/**
 * Append one line (a newline is added) and fsync. If an earlier append was cut short by a crash, the torn line
 * is ended first, so the new line always stands on its own.
 */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  let created = false;
  try {
    const handle = await open(file, 'a+', 0o644);
    try {
      const { size } = await handle.stat();
      created = size === 0;
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.appendFile(`${prefix}${line}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileFailure(error, `append to ${file}`, file);
  }
  if (created) await fsyncDirectory(path.dirname(file));
}

/** Create a directory (and its parents) and make the new entry durable. */
export async function ensureDirectory(dir: string): Promise<void> {
  try {
    const first = await mkdir(dir, { recursive: true });
    if (first !== undefined) await fsyncDirectory(path.dirname(first));
  } catch (error) {
    throw fileFailure(error, `create the directory ${dir}`, dir);
  }
}

/** fsync a directory so a rename or a new name in it survives a power loss (a no-op where the OS refuses). */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms cannot open or fsync a directory (Windows: EISDIR/EPERM); durability there is the OS's.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(errorCode(error) ?? '')) {
      throw fileFailure(error, `fsync the directory ${dir}`, dir);
    }
  } finally {
    await handle?.close();
  }
}

/** The node error code (`ENOENT`…) of an error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Wrap a file system error as `STATE_UNAVAILABLE` naming the action and the file (StateErrors pass through). */
export function fileFailure(error: unknown, action: string, file: string): StateError {
  if (error instanceof StateError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new StateError(
    'STATE_UNAVAILABLE',
    `Cannot ${action}: ${detail}. Check that the state directory exists, is writable by this user and has free space.`,
    { file, cause: error },
  );
}

/** Temp files are dot files with a `.tmp` suffix next to their target; readers skip them. */
function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}
