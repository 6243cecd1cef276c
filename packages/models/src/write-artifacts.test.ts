import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { duckDbDialect } from '@sluice/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, type CompileResult } from './compile-project.js';
import { loadProject } from './load-project.js';
import { redactSecrets } from './project-internals.js';
import type { Project } from './project.js';
import { fixture, tempDir } from './test-support/temp-project.js';
import { writeArtifacts } from './write-artifacts.js';

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('writeArtifacts: what `compile` writes', () => {
  const target = { name: 'dev', type: 'duckdb', schema: 'analytics' };
  let dir: { path: string; remove(): Promise<void> };
  let project: Project;
  let compiled: CompileResult;
  beforeAll(async () => {
    dir = await tempDir('sluice-write-artifacts-');
    const loaded = await loadProject(fixture('dbt-novadrive'));
    expect(loaded.errors).toEqual([]);
    project = loaded.project;
    compiled = compileProject(project, { target, dialect: duckDbDialect });
    expect(compiled.errors).toEqual([]);
  });
  afterAll(() => dir.remove());

  it('writes one file per compiled node holding its SQL, and the manifest; returns exactly the files written', async () => {
    const out = path.join(dir.path, 'target');
    const written = await writeArtifacts(out, { project, compiled, target, lineagePage: false });
    const expected = [...compiled.nodes.values()].map((node) => node.compiledPath);
    expect(compiled.nodes.size).toBeGreaterThan(10);
    expect(await filesUnder(out)).toEqual([...expected, 'manifest.json'].sort());
    expect(written.map((file) => path.relative(out, file)).sort()).toEqual([...expected, 'manifest.json'].sort());
    for (const node of compiled.nodes.values()) {
      expect(await readFile(path.join(out, node.compiledPath), 'utf8')).toBe(`${redactSecrets(project, node.sql)}\n`);
    }
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { compiled_code?: string }>;
    };
    for (const node of compiled.nodes.values()) {
      expect(manifest.nodes[node.id]?.compiled_code).toBe(redactSecrets(project, node.sql));
    }
  });

  it('a second write leaves files that already hold their text alone and rewrites the others', async () => {
    const out = path.join(dir.path, 'again');
    await writeArtifacts(out, { project, compiled, target, lineagePage: false });
    const [first, second] = [...compiled.nodes.values()];
    if (!first || !second) throw new Error('the fixture compiles fewer than two nodes');
    const old = new Date('2020-01-01T00:00:00Z');
    const firstFile = path.join(out, first.compiledPath);
    const secondFile = path.join(out, second.compiledPath);
    await utimes(firstFile, old, old);
    await writeFile(secondFile, 'select 1 -- edited by hand\n');
    await utimes(secondFile, old, old);
    await writeArtifacts(out, { project, compiled, target, lineagePage: false });
    expect((await stat(firstFile)).mtime.getTime()).toBe(old.getTime());
    expect(await readFile(secondFile, 'utf8')).toBe(`${redactSecrets(project, second.sql)}\n`);
    expect((await stat(secondFile)).mtime.getTime()).toBeGreaterThan(old.getTime());
  });
});
