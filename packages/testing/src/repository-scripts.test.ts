import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireTool } from './outside-tool.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The repository's own shell scripts (deploy/install-ec2.sh is checked with the deployment). */
const SCRIPTS = ['.ci/run', 'scripts/test-under-load.sh'];

describe('the repository scripts', () => {
  it.each(SCRIPTS)('%s is bash with set -euo pipefail and parses', async (script) => {
    const text = await readFile(path.join(REPO, script), 'utf8');
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
    await promisify(execFile)('bash', ['-n', path.join(REPO, script)]);
  });

  it.for(SCRIPTS)('%s is shellcheck-clean, optional checks included', (script, ctx) => {
    const [shellcheck] = requireTool(ctx, 'shellcheck');
    const result = spawnSync(shellcheck, ['-o', 'all', path.join(REPO, script)], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
