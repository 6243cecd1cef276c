import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createTempDir } from '@sluice/testing';
import { describe, expect, it } from 'vitest';
import { createStateStore, parseStateStoreConfig } from './state-store-config.js';
import { stateErrorOf } from './test-support/state-store-contract.js';

describe('parseStateStoreConfig', () => {
  it('accepts the two store configs', () => {
    expect(parseStateStoreConfig({ type: 'file', dir: '.sluice/state' })).toEqual({
      ok: true,
      config: { type: 'file', dir: '.sluice/state' },
    });
    expect(parseStateStoreConfig({ type: 'file', dir: 's', staleLockAfterMs: 600_000 })).toEqual({
      ok: true,
      config: { type: 'file', dir: 's', staleLockAfterMs: 600_000 },
    });
    expect(parseStateStoreConfig({ type: 'postgres', url: 'postgres://u:p@h:5432/d', schema: 'sluice_state' })).toEqual(
      {
        ok: true,
        config: { type: 'postgres', url: 'postgres://u:p@h:5432/d', schema: 'sluice_state' },
      },
    );
  });

  it('returns every problem with its path instead of throwing', () => {
    const result = parseStateStoreConfig({ type: 'postgres', url: 'mysql://x', schema: 'bad-name', pasword: 'typo' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((problem) => problem.path.join('.'))).toEqual([
      'pasword',
      'url',
      'schema',
    ]);
    expect(parseStateStoreConfig({ type: 's3' })).toEqual({
      ok: false,
      problems: [{ path: ['type'], message: expect.stringContaining('"s3"') }],
    });
    expect(parseStateStoreConfig(null)).toMatchObject({ ok: false, problems: [{ path: [] }] });
    expect(parseStateStoreConfig({ type: 'file', dir: '', staleLockAfterMs: -1 })).toMatchObject({
      ok: false,
      problems: [{ path: ['dir'] }, { path: ['staleLockAfterMs'] }],
    });
  });
});

describe('createStateStore', () => {
  it('opens a file store with a relative dir under baseDir', async () => {
    const base = await createTempDir('sluice-config-');
    try {
      const store = createStateStore({ type: 'file', dir: '.sluice/state' }, { baseDir: base.path });
      await store.commit('t', { id: '1' }, { runId: 'r' });
      expect(await readdir(path.join(base.path, '.sluice', 'state', 'watermarks'))).toEqual(['t.json']);
      await store.close();
    } finally {
      await base.remove();
    }
  });

  it('refuses an invalid config with INVALID_CONFIG listing the problems', async () => {
    const error = await stateErrorOf(Promise.resolve().then(() => createStateStore({ type: 'postgres', url: 'nope' })));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('state.url: expected a postgres:// URL');
  });
});
