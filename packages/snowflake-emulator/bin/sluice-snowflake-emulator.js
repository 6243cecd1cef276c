#!/usr/bin/env node
// The `sluice-snowflake-emulator` command. A committed file rather than dist/bin.js itself, so that `pnpm install`
// can link the command before anything is built (it warned "Failed to create bin" otherwise); it runs the build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  console.error('sluice-snowflake-emulator is not built yet: run `pnpm build` at the root of the repository.');
  process.exit(1);
}
await import(built.href);
