import { describe, expect, it } from 'vitest';
import type { ProjectIssue } from '../project-issue.js';
import { parseYamlSource } from '../yaml-source.js';
import { readUnitTests } from './read-unit-tests.js';

function read(text: string): { tests: ReturnType<typeof readUnitTests>; issues: ProjectIssue[] } {
  const { source } = parseYamlSource(text, 'models/unit.yml');
  const issues: ProjectIssue[] = [];
  const tests = readUnitTests(source, (source.value as { unit_tests?: unknown }).unit_tests, issues);
  return { tests, issues };
}

describe('readUnitTests', () => {
  it('reads dict, csv and fixture rows, overrides and config', () => {
    const { tests, issues } = read(`
unit_tests:
  - name: t1
    model: m
    description: d
    config: {tags: [a], meta: {owner: x}}
    given:
      - input: ref('a')
        rows: [{id: 1}]
      - input: source('s', 't')
        format: csv
        fixture: f
    expect:
      format: csv
      rows: |
        id
        1
    overrides:
      macros: {is_incremental: true}
      vars: {v: 1}
      env_vars: {E: x}
`);
    expect(issues).toEqual([]);
    expect(tests).toHaveLength(1);
    expect(tests[0]).toMatchObject({
      name: 't1',
      model: 'm',
      description: 'd',
      tags: ['a'],
      meta: { owner: 'x' },
      overrides: { macros: { is_incremental: true }, vars: { v: 1 }, envVars: { E: 'x' } },
      expect: { format: 'csv', rows: 'id\n1\n' },
    });
    expect(tests[0]?.given.map((g) => [g.input, g.format, g.fixture ?? null])).toEqual([
      ["ref('a')", 'dict', null],
      ["source('s', 't')", 'csv', 'f'],
    ]);
  });

  it('names a misspelled key with its line and the closest key; versions is a warning; bad formats are errors', () => {
    const { tests, issues } = read(`
unit_tests:
  - name: t1
    model: m
    versions: {include: [1]}
    given:
      - input: ref('a')
        format: json
        rows: []
    expect:
      rowz: []
`);
    expect(tests).toHaveLength(1);
    expect(issues.map((i) => [i.severity, i.code, i.line])).toEqual([
      ['warning', 'UNSUPPORTED', 5],
      ['error', 'INVALID_VALUE', 8],
      ['error', 'UNKNOWN_KEY', 11],
    ]);
    expect(issues[2]?.message).toContain("Did you mean 'rows'");
  });

  it('leaves a disabled test marked disabled and rejects an entry without a model', () => {
    const { tests, issues } = read(`
unit_tests:
  - name: off
    model: m
    config: {enabled: false}
    expect: {rows: []}
  - name: no_model
`);
    expect(tests.map((t) => [t.name, t.enabled])).toEqual([['off', false]]);
    expect(issues.map((i) => i.message)).toEqual(['each unit test needs a "name" and the "model" it tests.']);
  });
});
