#!/usr/bin/env node
// pnpm bench NAME: runs bench/NAME.mjs (after the build). Each script prints its figures and, last, one JSON line.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.mjs') && file !== 'run.mjs' && !file.startsWith('_'))
  .map((file) => file.replace(/\.mjs$/, ''))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench NAME [args]\nbenchmarks: ${available.join(', ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--expose-gc', path.join(here, `${name}.mjs`), ...args], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
