import { duckDbDialect } from '@sluice/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { DBT_ARTIFACT_VERSION } from './dbt-version.js';
import { loadProject } from './load-project.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

const target = { name: 'dev', type: 'duckdb', schema: 'main' };

describe("dbt's context values in templates", () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('run_started_at is an aware UTC datetime; dbt_version and project_name are set; None is written None, an absent field empty', async () => {
    await writeProject(dir.path, {
      'dbt_project.yml': 'name: trial_shop\nversion: "1.0"\nconfig-version: 2\n',
      'models/when.sql': [
        "select '{{ run_started_at }}' as started",
        "  , '{{ run_started_at.strftime('%Y-%m-%d') }}' as day",
        "  , '{{ run_started_at.isoformat() }}' as iso",
        '  , {{ run_started_at.year }} as year',
        '  , {{ run_started_at.timestamp() }} as epoch',
        "  , '{{ dbt_version }}' as dbt_version",
        "  , '{{ project_name }}' as project",
        "  , '{{ dbt.escape_single_quotes(none) }}' as none_text, {{ dbt.string_literal(model.no_such_field) }} as absent",
        "  , '{% for n in graph.nodes.values() if n.name == 'when' %}{{ n.access }}/{{ n.contract.enforced }}{% endfor %}' as graph_node",
      ].join('\n'),
    });
    const { project, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    const runStartedAt = new Date('2026-12-07T08:15:53.001Z');
    const compiled = compileProject(project, { target, dialect: duckDbDialect, runStartedAt });
    expect(compiled.errors).toEqual([]);
    expect(compiled.nodes.get('model.trial_shop.when')?.sql).toBe(
      [
        "select '2026-12-07 08:15:53.001000+00:00' as started",
        "  , '2026-12-07' as day",
        "  , '2026-12-07T08:15:53.001000+00:00' as iso",
        '  , 2026 as year',
        `  , ${runStartedAt.getTime() / 1000} as epoch`,
        `  , '${DBT_ARTIFACT_VERSION}' as dbt_version`,
        "  , 'trial_shop' as project",
        "  , 'None' as none_text, '' as absent",
        "  , 'protected/False' as graph_node",
      ].join('\n'),
    );
  });

  it('Jinja that dbt accepts and Sluice does not yet is an error naming the file, line and construct', async () => {
    await writeProject(dir.path, {
      'dbt_project.yml': 'name: trial_shop\nversion: "1.0"\nconfig-version: 2\n',
      'models/when.sql': 'select 1\n',
      'macros/scoped.sql': '{% macro scoped() %}\n{% for x in [1] recursive %}{{ x }}{% endfor %}\n{% endmacro %}\n',
    });
    const { errors } = await loadProject(dir.path);
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'TEMPLATE_ERROR',
        file: 'macros/scoped.sql',
        line: 2,
        message: expect.stringMatching(
          /^recursive for loops \(\{% for … recursive %\}\): dbt's Jinja accepts this, but Sluice does not support it yet/,
        ),
      }),
    ]);
  });
});
