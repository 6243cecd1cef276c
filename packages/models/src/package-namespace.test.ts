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
      'dbt_project.yml': 'name: app\nconfig-version: 2\n',
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
    await own.remove();
    expect(errors).toEqual([]);
    const model = project.nodes.get('model.kit.kit_model');
    expect(model?.kind === 'model' && model.materialized).toBe('table');
    expect(warnings.map((w) => `${w.file}:${w.line}: ${w.message}`)).toContainEqual(
      expect.stringMatching(/^dbt_packages\/kit\/dbt_project\.yml:7: models\.kit\.hooked\.\+schema: .*used as written/),
    );
  });
});
