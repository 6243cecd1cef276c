import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { modelsProjectConfigSchema } from './project-config.js';

describe('modelsProjectConfigSchema', () => {
  // How the pipeline composes the full sluice.yml schema: its own keys, then ours, strict.
  const full = z
    .object({ source: z.object({ url: z.string() }) })
    .extend(modelsProjectConfigSchema.shape)
    .strict();

  it('accepts the models sections of a sluice.yml', () => {
    const parsed = full.parse({
      name: 'novadrive',
      source: { url: 'postgres://x' },
      models: { '+tags': ['a'], stage: { '+materialized': 'view', '+schema': 'stage', sub: { '+enabled': false } } },
      snapshots: { '+schema': 'snapshots' },
      data_tests: { '+severity': 'warn', '+store_failures': true },
      vars: { preco_minimo_fator: 0.95 },
      'model-paths': ['models'],
    });
    expect(parsed.name).toBe('novadrive');
  });

  it('rejects a misspelled config key, naming the closest one, and a value out of its set', () => {
    const result = full.safeParse({
      name: 'p',
      source: { url: 'x' },
      models: { stage: { '+materialzed': 'view' }, marts: { '+materialized': 'tabel' } },
      data_tests: { '+severity': 'fatal' },
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => i.message).join('\n') ?? '';
    expect(messages).toContain(
      `"+materialzed" is not a model config key (in models.stage). Did you mean '+materialized'?`,
    );
    expect(messages).toContain('"+materialized" in models.marts');
    expect(messages).toContain('"+severity" in data_tests');
    expect(result.error?.issues.map((i) => i.path)).toEqual([
      ['models', 'stage', '+materialzed'],
      ['models', 'marts', '+materialized'],
      ['data_tests', '+severity'],
    ]);
  });

  it('rejects a bad project name and unknown top-level keys once composed strictly', () => {
    expect(full.safeParse({ name: 'has space', source: { url: 'x' } }).success).toBe(false);
    expect(full.safeParse({ name: 'p', source: { url: 'x' }, modles: {} }).success).toBe(false);
  });
});
