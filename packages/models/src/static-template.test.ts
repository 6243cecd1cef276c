import { describe, expect, it } from 'vitest';
import { parseStaticTemplate } from './static-template.js';

describe('parseStaticTemplate', () => {
  it('parses text and simple expressions', () => {
    expect(parseStaticTemplate('select 1')).toEqual(['select 1']);
    expect(parseStaticTemplate("select * from {{ ref('a') }} where x = {{ var('x', 3) }}")).toEqual([
      'select * from ',
      { path: ['ref'], call: { positional: ['a'], keywords: {} }, offset: expect.any(Number), line: 1 },
      ' where x = ',
      { path: ['var'], call: { positional: ['x', 3], keywords: {} }, offset: expect.any(Number), line: 1 },
    ]);
  });

  it('parses keyword arguments, lists, booleans, none and dotted names', () => {
    const segments = parseStaticTemplate(
      "{{ config(materialized=\"incremental\", unique_key=['a', 'b'], full_refresh=False, tags=none) }}{{ this }}{{ target.schema }}{{ dbt.dateadd('day', -1, 'x') }}",
    );
    expect(segments).toEqual([
      {
        path: ['config'],
        call: {
          positional: [],
          keywords: { materialized: 'incremental', unique_key: ['a', 'b'], full_refresh: false, tags: null },
        },
        offset: 0,
        line: 1,
      },
      { path: ['this'], offset: expect.any(Number), line: 1 },
      { path: ['target', 'schema'], offset: expect.any(Number), line: 1 },
      {
        path: ['dbt', 'dateadd'],
        call: { positional: ['day', -1, 'x'], keywords: {} },
        offset: expect.any(Number),
        line: 1,
      },
    ]);
  });

  it('records the line of each expression', () => {
    const segments = parseStaticTemplate("select\n  {{ config(\n  materialized='table') }}\nfrom {{ ref('a') }}") ?? [];
    expect(segments.filter((s) => typeof s !== 'string').map((s) => (typeof s === 'string' ? 0 : s.line))).toEqual([
      2, 4,
    ]);
  });

  it('decodes string escapes as nunjucks does', () => {
    expect(parseStaticTemplate("{{ f('it\\'s', \"a\\nb\") }}")).toEqual([
      { path: ['f'], call: { positional: ["it's", 'a\nb'], keywords: {} }, offset: expect.any(Number), line: 1 },
    ]);
  });

  it('leaves everything else to nunjucks', () => {
    for (const source of [
      '{% if x %}y{% endif %}',
      '{# comment #}',
      '{{ x | upper }}',
      '{{ a ~ b }}',
      '{{- ref("a") }}',
      "{{ ref('a') -}}",
      '{{ f(x) }}',
      '{{ f(1 + 2) }}',
      "{{ ref('a') ",
      "{{ f(a='x', 'b') }}",
    ]) {
      expect(parseStaticTemplate(source), source).toBeUndefined();
    }
  });
});
