// Generates a model project of N models: chains and fan-outs, each with refs and a config() call.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Write a project of `count` models to `dir`; returns the number of model files. */
export async function writeModelProject(dir, count, { trivial = false } = {}) {
  await mkdir(path.join(dir, 'models'), { recursive: true });
  await writeFile(
    path.join(dir, 'sluice.yml'),
    `name: bench\nmodels:\n  +materialized: view\n  +tags: [bench]\n  layer_0:\n    +schema: base\n`,
  );
  const folders = 20;
  for (let f = 0; f < folders; f++) await mkdir(path.join(dir, 'models', `layer_${f}`), { recursive: true });
  const writes = [];
  for (let i = 0; i < count; i++) {
    const folder = `layer_${Math.floor((i * folders) / count)}`;
    let sql;
    if (trivial || i < 50) {
      sql = `{{ config(materialized='view', tags=['root']) }}\nselect ${i} as id, 'model ${i}' as name\n`;
    } else {
      // A chain (the previous model) and a fan-in from a hub every 50 models, plus one more earlier model.
      const refs = new Set([i - 1, i - (i % 50) - 1, Math.floor(i / 3)]);
      const parts = [...refs].filter((r) => r >= 0 && r < i).map((r) => `select id, name from {{ ref('m_${r}') }}`);
      sql = `{{ config(materialized='view', tags=['t${i % 7}']) }}\n${parts.join('\nunion all\n')}\n`;
    }
    writes.push(writeFile(path.join(dir, 'models', folder, `m_${i}.sql`), sql));
  }
  await Promise.all(writes);
  return count;
}
