import { duckDbDialect } from '@sluice/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { loadProject } from './load-project.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

const target = { name: 'dev', type: 'duckdb', schema: 'main' };

describe("a package's templates find its own macros unqualified (dbt's local namespace)", () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('in a model simple enough to skip Jinja, and in its hooks', async () => {
    // dbt_project_evaluator's models are `{{ filter_exceptions() }}` and hooks calling the package's macros.
    await writeProject(dir.path, {
      'dbt_project.yml': 'name: app\nconfig-version: 2\n',
      'dbt_packages/kit/dbt_project.yml': 'name: kit\nconfig-version: 2\n',
      'dbt_packages/kit/macros/kit.sql': [
        "{% macro kit_value() %}'from kit'{% endmacro %}",
        '{% macro kit_hook(relation) %}analyze {{ relation }}{% endmacro %}',
      ].join('\n'),
      'dbt_packages/kit/models/kit_model.sql': 'select {{ kit_value() }} as v\n',
      'dbt_packages/kit/models/kit_hooked.sql':
        '{{ config(post_hook="{{ kit_hook(this) }}") }}\nselect {{ kit_value() }} as v\n',
    });
    const { project, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    const compiled = compileProject(project, { target, dialect: duckDbDialect });
    expect(compiled.errors).toEqual([]);
    expect(compiled.nodes.get('model.kit.kit_model')?.sql).toBe("select 'from kit' as v");
    expect(compiled.nodes.get('model.kit.kit_hooked')?.postHooks).toEqual(['analyze "main"."kit_hooked"']);
  });

  it("renders a package's dbt_project.yml values, and names one it cannot render", async () => {
    const own = await tempDir();
    await writeProject(own.path, {
      'dbt_project.yml': [
        'name: app',
        'config-version: 2',
        'models:',
        '  app:',
        `    +materialized: "{{ 'table' if target.name == 'prod' else 'view' }}"`,
      ].join('\n'),
      'models/app_model.sql': 'select 1 as v\n',
      'dbt_packages/kit/dbt_project.yml': [
        'name: kit',
        'config-version: 2',
        'models:',
        '  kit:',
        `    +materialized: "{{ env_var('KIT_MATERIALIZED', 'table') }}"`,
        '    hooked:',
        `      +schema: "{{ 'a' if target.type == 'duckdb' else 'b' }}"`,
      ].join('\n'),
      'dbt_packages/kit/models/kit_model.sql': 'select 1 as v\n',
      'dbt_packages/kit/models/hooked/kit_other.sql': 'select 2 as v\n',
    });
    const { project, errors, warnings } = await loadProject(own.path, { env: {} });
    // With the target known (a command that compiles), what needs it is rendered as dbt renders it.
    const withTarget = await loadProject(own.path, {
      env: {},
      target: { type: 'duckdb', name: 'dev', schema: 'main' },
    });
    await own.remove();
    // Without a target, the root's value that needs one is an error at its line (the package's: a warning).
    expect([...new Set(errors.map((e) => `${e.file}:${e.line}`))]).toEqual(['dbt_project.yml:5']);
    expect(withTarget.errors).toEqual([]);
    expect(withTarget.warnings.filter((w) => w.file?.includes('dbt_project.yml'))).toEqual([]);
    expect(withTarget.project.nodes.get('model.kit.kit_other')?.kind === 'model').toBe(true);
    const other = withTarget.project.nodes.get('model.kit.kit_other');
    expect(other?.kind === 'model' && other.config.schema).toBe('a');
    const root = withTarget.project.nodes.get('model.app.app_model');
    expect(root?.kind === 'model' && root.materialized).toBe('view');
    const model = project.nodes.get('model.kit.kit_model');
    expect(model?.kind === 'model' && model.materialized).toBe('table');
    expect(warnings.map((w) => `${w.file}:${w.line}: ${w.message}`)).toContainEqual(
      expect.stringMatching(/^dbt_packages\/kit\/dbt_project\.yml:7: models\.kit\.hooked\.\+schema: .*used as written/),
    );
  });
});
