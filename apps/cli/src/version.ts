import { readFileSync } from 'node:fs';

/** This CLI's version, from its package.json (read once; the build keeps the file beside dist/). */
export const VERSION: string = readVersion();

function readVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === '@sluice/cli' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}
