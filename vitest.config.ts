import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

// Tests import workspace packages from their sources, so `pnpm test` never runs against a stale build.
const aliases = ['packages', 'apps'].flatMap((group) =>
  readdirSync(path.join(root, group)).flatMap((dir) => {
    const manifest = path.join(root, group, dir, 'package.json');
    const entry = path.join(root, group, dir, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) return [];
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
    return [{ find: new RegExp(`^${name.replace('/', '\\/')}$`), replacement: entry }];
  }),
);

export default defineConfig({
  resolve: { alias: aliases },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    pool: 'forks',
    reporters: ['default', './packages/testing/src/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
