import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { closestNames } from '@sluice/warehouse';
import { ModelsError } from '../models-error.js';
import type { ProjectIssue } from '../project-issue.js';
import { didYouMean } from '../project-issue.js';
import type { SourceNode, TestNode, UnitTestInput, UnitTestRows } from '../project.js';
import { readSeedTable } from '../seeds/seed-table.js';
import type { UnitTestDeclaration, UnitTestRowsDeclaration } from '../unit-tests/read-unit-tests.js';
import { atLine, type LoadContext } from './load-context.js';

const REF = /^ref\s*\(\s*(?:(['"])([^'"]+)\1\s*,\s*)?(['"])([^'"]+)\3\s*(?:,\s*(?:v|version)\s*=\s*[^)]*)?\)$/;
const SOURCE = /^source\s*\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3\s*\)$/;

/**
 * Phase 8b: dbt 1.8's unit tests become test nodes (`testType: 'unit'`, id `unit_test.<project>.<model>.<name>`)
 * that depend on the model they test. Each `given` input is resolved to the node it stands for (`ref`, `source`,
 * or `this`); csv rows and fixture files (`<test-path>/fixtures/<name>.csv|.sql`) are read here. A model or input
 * that names nothing is an error with the closest names; `config: { enabled: false }` leaves the test out.
 */
export async function collectUnitTests(
  ctx: LoadContext,
  projectName: string,
  declarations: readonly UnitTestDeclaration[],
  names: ReadonlyMap<string, { readonly id: string; readonly file: string }>,
  sources: readonly SourceNode[],
  testPaths: readonly string[],
): Promise<{ tests: TestNode[]; dependencies: Map<string, string[]> }> {
  const tests: TestNode[] = [];
  const dependencies = new Map<string, string[]>();
  const sourceIds = new Set(sources.map((s) => s.id));
  for (const d of declarations) {
    if (!d.enabled) continue;
    const file = d.source.file;
    const error = (message: string, at: readonly (string | number)[], code: ProjectIssue['code']): void => {
      ctx.issues.push({ code, severity: 'error', message, file, ...atLine(d.source.lineOf(at)) });
    };
    const model = names.get(d.model);
    if (model === undefined || !model.id.startsWith('model.')) {
      const near = closestNames(
        d.model,
        [...names.entries()].filter(([, v]) => v.id.startsWith('model.')).map(([k]) => k),
      );
      error(
        `unit test ${d.name}: model ${d.model} is not a model of the project.${didYouMean(near)}`,
        d.path,
        'UNKNOWN_REF',
      );
      continue;
    }
    const given: UnitTestInput[] = [];
    let ok = true;
    for (const g of d.given) {
      const node = resolveInput(g.input, names, sourceIds);
      if (typeof node !== 'string' || node === '') {
        error(
          `unit test ${d.name}: input ${g.input} ${node === '' ? 'names no model, seed, snapshot or declared source' : "must be ref('model'), source('source', 'table') or this"}.`,
          [...g.path, 'input'],
          node === '' ? 'UNKNOWN_REF' : 'INVALID_VALUE',
        );
        ok = false;
        continue;
      }
      const rows = await rowsOf(ctx, g, file, testPaths, (m) =>
        error(`unit test ${d.name}: ${m}`, g.path, 'INVALID_VALUE'),
      );
      if (rows === undefined) ok = false;
      else given.push({ ...rows, input: g.input, node });
    }
    const expect = await rowsOf(ctx, d.expect, file, testPaths, (m) =>
      error(`unit test ${d.name}: ${m}`, d.expect.path, 'INVALID_VALUE'),
    );
    if (!ok || expect === undefined) continue;
    const id = `unit_test.${projectName}.${d.model}.${d.name}`;
    if (tests.some((t) => t.id === id)) {
      error(`unit test ${d.name} of model ${d.model} is defined twice.`, d.path, 'DUPLICATE_NAME');
      continue;
    }
    const folders = file.split('/').slice(1, -1);
    dependencies.set(id, [model.id]);
    tests.push({
      id,
      kind: 'test',
      testType: 'unit',
      name: d.name,
      file,
      ...atLine(d.source.lineOf(d.path)),
      fqn: [projectName, ...folders, d.model, d.name],
      description: d.description,
      tags: d.tags,
      dependsOn: [model.id],
      attachedTo: model.id,
      args: {},
      config: { tags: [...d.tags] },
      unit: { model: model.id, given, expect, overrides: d.overrides, meta: d.meta },
    });
  }
  return { tests, dependencies };
}

/** The node id an input stands for: `this`, a node id, '' when it names nothing, undefined when it is not a call. */
function resolveInput(
  input: string,
  names: ReadonlyMap<string, { readonly id: string }>,
  sourceIds: ReadonlySet<string>,
): string | undefined {
  if (input === 'this') return 'this';
  const ref = REF.exec(input);
  if (ref) return names.get(ref[4] as string)?.id ?? '';
  const source = SOURCE.exec(input);
  if (source) {
    const id = [...sourceIds].find((s) => s.endsWith(`.${source[2]}.${source[4]}`) && s.startsWith('source.'));
    return id ?? '';
  }
  return undefined;
}

/** Rows as the unit test runs them: csv text and fixture files read, csv values as text (an empty field is null). */
async function rowsOf(
  ctx: LoadContext,
  d: UnitTestRowsDeclaration,
  file: string,
  testPaths: readonly string[],
  fail: (message: string) => void,
): Promise<UnitTestRows | undefined> {
  let text = typeof d.rows === 'string' ? d.rows : undefined;
  let where = file;
  if (d.fixture !== undefined) {
    const extension = d.format === 'csv' ? 'csv' : 'sql';
    const candidates = testPaths.map((p) => path.posix.join(p, 'fixtures', `${d.fixture}.${extension}`));
    for (const candidate of candidates) {
      try {
        text = await readFile(path.join(ctx.projectDir, candidate), 'utf8');
        where = candidate;
        break;
      } catch {
        // try the next test path
      }
    }
    if (text === undefined) {
      fail(`fixture ${d.fixture} not found (looked for ${candidates.join(', ')}).`);
      return undefined;
    }
  }
  if (d.format === 'dict') return { format: 'dict', rows: (d.rows ?? []) as Record<string, unknown>[] };
  if (d.format === 'sql') return { format: 'sql', sql: (text ?? '').trim() };
  try {
    const table = readSeedTable(text ?? '', { file: where });
    const rows = table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c.name, row[i] ?? null])));
    return { format: 'csv', rows };
  } catch (error) {
    fail(error instanceof ModelsError ? error.message : String(error));
    return undefined;
  }
}
